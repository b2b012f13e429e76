"""Run axe-core (vendored in tests/e2e/vendor/axe-core) in a Playwright page and report what
it finds in a form the next engineer can act on.

The portal's Content-Security-Policy allows no inline script, so a <script> tag with the
engine's source would be refused. The source is evaluated through the DevTools protocol
instead (``page.evaluate``), which the page's CSP does not govern; the page itself keeps its
CSP, so axe sees exactly what a visitor's browser renders (a style attribute the policy
blocks stays blocked).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE_DIR = Path(__file__).parent / "vendor" / "axe-core"
AXE_VERSION = "4.14.1"  # the version tests/e2e/vendor/axe-core/README.md describes

# WCAG 2.0 and 2.1, levels A and AA, plus axe's best practices (landmarks, one h1, ...).
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")
# What fails a test: axe's two highest impacts. Minor and moderate findings are printed only.
BLOCKING = ("serious", "critical")


@cache
def axe_source() -> str:
    return (AXE_DIR / "axe.min.js").read_text(encoding="utf-8")


def inject(page: Page) -> None:
    """Load axe into the page unless it is there already (it is gone after a navigation)."""
    if page.evaluate("() => typeof window.axe === 'object'"):
        return
    page.evaluate(axe_source())
    version = page.evaluate("() => window.axe && window.axe.version")
    assert version == AXE_VERSION, f"axe {version} loaded; the vendored README names {AXE_VERSION}"


def run(page: Page, *, tags: tuple[str, ...] = TAGS) -> list[dict]:
    """Run axe over the whole document; return its violations (every impact)."""
    inject(page)
    options = {"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]}
    result = page.evaluate("(options) => window.axe.run(document, options)", options)
    return result["violations"]


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v.get("impact") in BLOCKING]


def describe(violations: list[dict], *, limit_nodes: int = 8) -> str:
    """One block per violation: id, impact, help, link, and the offending elements."""
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation.get('impact')}] {violation['help']}"
            f" ({violation.get('helpUrl', '')})"
        )
        for node in violation["nodes"][:limit_nodes]:
            target = " ".join(json.dumps(t, ensure_ascii=False) for t in node["target"])
            lines.append(f"    target {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
            if summary:
                lines.append(f"      {summary[:300]}")
            lines.append(f"      html {node.get('html', '')[:200]}")
        if len(violation["nodes"]) > limit_nodes:
            lines.append(f"    ... and {len(violation['nodes']) - limit_nodes} more")
    return "\n".join(lines)


# Every id used more than once in the document, with its count and the elements carrying it.
# axe 4.14 no longer checks duplicate ids (its duplicate-id rules are deprecated and off), yet
# a label's ``for`` or an ``aria-describedby`` then points at the first element with the id,
# which may be a hidden one: a formal-check page had two ``id="reason"`` textareas, so "Reason
# for the rejection" named the hidden box. Hidden elements count: ids are resolved over the
# whole document whatever is shown.
DUPLICATE_IDS_JS = """
() => {
  const seen = new Map();
  for (const el of document.querySelectorAll('[id]')) {
    if (!el.id) continue;
    const list = seen.get(el.id) || [];
    list.push(el.outerHTML.slice(0, 120));
    seen.set(el.id, list);
  }
  return Array.from(seen.entries())
    .filter(([, list]) => list.length > 1)
    .map(([id, list]) => ({id, count: list.length, elements: list.slice(0, 3)}));
}
"""


def duplicate_ids(page: Page) -> list[dict]:
    """The ids that more than one element of the page carries (empty when all are unique)."""
    return page.evaluate(DUPLICATE_IDS_JS)


def describe_duplicates(duplicates: list[dict]) -> str:
    lines = []
    for duplicate in duplicates:
        lines.append(f"- id={duplicate['id']!r} on {duplicate['count']} elements")
        lines.extend(f"    html {html}" for html in duplicate["elements"])
    return "\n".join(lines)


def assert_unique_ids(page: Page, name: str) -> None:
    duplicates = duplicate_ids(page)
    assert not duplicates, (
        f"{name} ({page.url}): {len(duplicates)} id(s) used more than once\n"
        + describe_duplicates(duplicates)
    )


def assert_accessible(page: Page, name: str) -> list[dict]:
    """Fail when axe finds a serious or critical violation, or an id is used twice; return all
    violations axe found."""
    assert_unique_ids(page, name)
    violations = run(page)
    serious = blocking(violations)
    minor = [v for v in violations if v not in serious]
    if minor:  # shown with -s or -rA: worth fixing, not failing
        print(f"{name}: minor or moderate findings\n{describe(minor, limit_nodes=3)}")
    assert not serious, (
        f"{name} ({page.url}): {len(serious)} serious or critical accessibility violation(s)\n"
        + describe(serious)
    )
    return violations
