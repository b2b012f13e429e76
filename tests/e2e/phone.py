"""Measure whether a page fits a phone's width, and name what sticks out when it does not.

A page fits when the document is no wider than the viewport: ``scrollWidth <= innerWidth``,
so the visitor never scrolls sideways. When it does not fit, the report names the widest
element (the deepest one, on a tie, which is usually the cause: a table cell's input rather
than the table) and the outermost elements that stick out past the right edge while their
parent does not (where a fix in the stylesheet would go). Content inside a box that scrolls
or clips on its own (``overflow-x`` other than ``visible``) does not widen the page, so it is
not reported, unless it is positioned outside that box's reach (see ``clipped``).
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page

# Runs in the page: the widths, the widest element and the outermost offenders.
MEASURE_JS = """
() => {
  const limit = window.innerWidth;
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    for (const cls of Array.from(el.classList).slice(0, 3)) name += '.' + cls;
    const text = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return text ? `${name} "${text}"` : name;
  };
  const path = (el) => {
    const parts = [];
    for (let node = el; node && node !== document.body && parts.length < 4;
         node = node.parentElement) {
      parts.unshift(describe(node).split(' "')[0]);
    }
    return parts.join(' > ');
  };
  // Clipped by a box that scrolls on its own? An absolutely positioned element (a visually
  // hidden label) escapes every box below its containing block, the nearest positioned
  // ancestor, and then widens the page although it sits inside a scrolling box.
  const clipped = (el) => {
    let position = getComputedStyle(el).position;
    for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (position === 'fixed') return false;
      if (position === 'absolute' && style.position === 'static') continue;
      if (style.overflowX !== 'visible') return true;
      position = style.position;
    }
    return false;
  };
  const sticksOut = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.right > limit + 0.5;
  };
  let widest = null;
  const outermost = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!sticksOut(el) || clipped(el)) continue;
    const right = Math.round(el.getBoundingClientRect().right);
    if (!widest || right >= widest.right) widest = {right, path: path(el)};
    if (el.parentElement && !sticksOut(el.parentElement) && outermost.length < 3) {
      outermost.push(`${path(el)} (right edge ${right} px)`);
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: limit,
    widest: widest ? `${widest.path} (right edge ${widest.right} px)` : '',
    outermost,
  };
}
"""


@dataclass(frozen=True)
class Fit:
    """How a page measured: its document width against the viewport's."""

    url: str
    scroll_width: int
    inner_width: int
    widest: str
    outermost: tuple[str, ...]

    @property
    def fits(self) -> bool:
        return self.scroll_width <= self.inner_width

    def describe(self) -> str:
        lines = [
            f"{self.url}: {self.scroll_width} px wide in a {self.inner_width} px viewport;"
            f" widest: {self.widest or '(none found outside scroll boxes)'}"
        ]
        lines += [f"    sticks out: {offender}" for offender in self.outermost]
        return "\n".join(lines)


def measure(page: Page) -> Fit:
    """Measure the page as it is now (once its document has loaded: a click's navigation may
    still be under way; callers should also wait for something of the new page)."""
    page.wait_for_load_state("load")
    found = page.evaluate(MEASURE_JS)
    return Fit(
        url=page.url,
        scroll_width=found["scrollWidth"],
        inner_width=found["innerWidth"],
        widest=found["widest"],
        outermost=tuple(found["outermost"]),
    )


def report(problems: list[str]) -> str:
    """The failure message: every page that does not fit (``Fit.describe``), or that could
    not be measured."""
    return f"{len(problems)} page(s) do not fit the phone:\n" + "\n".join(problems)
