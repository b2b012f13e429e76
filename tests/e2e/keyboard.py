"""Keyboard-only driving for the e2e journeys: Tab (or Shift+Tab) to an element, checking
on the way that every element that takes the focus shows it; press a key that loads the next
page; the skip link; and the focus on the error summary after a refused step."""

from __future__ import annotations

import contextlib

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

# What has the focus, whether it matches ``selector``, and whether a sighted user can see
# where it is: the element is on screen (not clipped to a pixel) and draws an outline or a
# box shadow.
FOCUS_JS = """(selector) => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    html: el.outerHTML.slice(0, 200),
    matches: selector ? el.matches(selector) : false,
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== 'none',
    drawn: `outline ${style.outlineStyle} ${style.outlineWidth}, box-shadow ${style.boxShadow}`,
    onScreen: box.width > 1 && box.height > 1 && box.bottom > 0 && box.right > 0
      && box.top < window.innerHeight && box.left < window.innerWidth,
  };
}"""


def focused(page: Page, selector: str | None = None) -> dict | None:
    return page.evaluate(FOCUS_JS, selector)


def assert_focus_visible(info: dict | None) -> None:
    assert info is not None, "nothing has the focus"
    assert info["onScreen"], f"the focused element is off screen: {info['html']}"
    assert info["outline"] or info["shadow"], (
        f"no visible focus on {info['html']} ({info['drawn']})"
    )


def tab_to(page: Page, selector: str, *, backwards: bool = False, limit: int = 150) -> None:
    """Press Tab (Shift+Tab) until the element matching ``selector`` has the focus, checking
    that every element passed on the way shows its focus."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        info = focused(page, selector)
        if info is None:  # past the last element: the browser's own controls
            continue
        assert_focus_visible(info)
        if info["matches"]:
            return
        seen.append(info["html"][:80])
    raise AssertionError(f"Tab never reached {selector}; passed:\n" + "\n".join(seen[-20:]))


def press_and_load(page: Page, key: str = "Enter") -> None:
    """Press a key that sends a form or follows a link; wait for the next page."""
    # A form whose service does real work can take longer than an assertion's wait on a busy
    # CI machine (two suites at once); the page still has to come.
    with page.expect_navigation(timeout=30_000):
        page.keyboard.press(key)
    page.wait_for_load_state()


def skip_to_main(page: Page) -> None:
    """The first Tab of a page reaches the skip link, visibly; Enter moves to <main>."""
    page.keyboard.press("Tab")
    info = focused(page, "a.skip-link[href='#main']")
    assert info and info["matches"], f"the first Tab did not reach the skip link: {info}"
    assert_focus_visible(info)
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def open_link(page: Page, selector: str) -> None:
    skip_to_main(page)
    tab_to(page, selector)
    press_and_load(page)


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


ERROR_FOCUS = ".error-summary, [aria-invalid=true]"


def expect_focus_on_error(page: Page) -> None:
    """After a refused step the focus is on the error summary (or the first invalid field).

    The summary takes it through ``autofocus``, which the browser applies at its next
    rendering update: that can come after the load event, so wait for it (a few frames)
    before judging, rather than reading ``activeElement`` at once."""
    # Judged below either way, with what has the focus instead if it never came.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            "(sel) => document.activeElement && document.activeElement.matches(sel)",
            arg=ERROR_FOCUS,
            timeout=5_000,
        )
    info = focused(page, ERROR_FOCUS)
    assert info and info["matches"], f"the focus is not on the errors: {info}"
    assert_focus_visible(info)


def sign_in(page: Page, email: str, password: str) -> None:
    """From the sign-in page: the skip link, the two fields, Enter; then signed in."""
    page.goto("/login")
    skip_to_main(page)
    type_into(page, "#email", email)
    type_into(page, "#password", password)
    press_and_load(page)  # Enter in the password field sends the form
    expect(page.locator("form[action$='/logout'] button")).to_be_visible()


def switch_to_english(page: Page) -> None:
    """The language switch sits in the header: backwards from the main content."""
    skip_to_main(page)
    tab_to(page, "button[name=locale][value=en]", backwards=True)
    press_and_load(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")


def choose_radio(page: Page, group: str, value: str, *, limit: int = 50) -> None:
    """Tab into the radio group named ``group``, then arrow down until the one with
    ``value`` is chosen (arrow keys move the choice within a group; Tab leaves it)."""
    tab_to(page, f"input[type=radio][name={group}]")
    target = f"input[type=radio][name={group}][value='{value}']"
    for _ in range(limit):
        info = focused(page, target)
        assert_focus_visible(info)
        if info["matches"]:
            # Tab into a group with nothing chosen focuses its first radio without choosing
            # it; Space does (arrow keys choose as they move).
            if not page.locator(target).is_checked():
                page.keyboard.press("Space")
            expect(page.locator(target)).to_be_checked()
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never reached {target}")
