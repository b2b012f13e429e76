"""The reviewers page and a programme's review overview go back as well as forward: "Previous"
reads the list backwards from the page's first row (``?before=``), one index range, and
the pages it leads to are the ones "Next" led from."""

from __future__ import annotations

import html
import re

from portal.applications.models import Status
from tests.helpers import add_bare_applications
from tests.integration.test_assignment import KEY, officer, page_text  # noqa: F401
from tests.integration.test_review_lists_flat import (
    add_reviewers,
    next_link,
    overview_url,
    statements_of,
)


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html.unescape(found.group(1)) if found else None


def named_link(page: str, name: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)">{name}</a>', page)
    return html.unescape(found.group(1)) if found else None


def references(page: str) -> list[str]:
    return re.findall(r">(T-KP-\d{4})</a>", page)


def test_overview_goes_back_page_by_page(app, demo, officer):  # noqa: F811
    add_bare_applications(app, KEY, 130, status=Status.EXPERT_REVIEW, prefix="T-KP")
    first = page_text(officer.get(overview_url(app)))
    assert link(first, "prev") is None
    second = page_text(officer.get(next_link(first) or ""))
    third_url = next_link(second) or ""
    third = page_text(officer.get(third_url))
    assert next_link(third) is None
    back_to_second_url = link(third, "prev") or ""
    assert "before=" in back_to_second_url
    back_to_second = page_text(officer.get(back_to_second_url))
    assert references(back_to_second) == references(second)
    assert next_link(back_to_second) and link(back_to_second, "prev")
    back_to_first = page_text(officer.get(link(back_to_second, "prev") or ""))
    assert references(back_to_first) == references(first)
    assert link(back_to_first, "prev") is None and "First page" not in back_to_first
    # Going back costs what going forward does.
    forward, _page = statements_of(app, officer, third_url)
    backward, _page = statements_of(app, officer, back_to_second_url)
    assert backward == forward
    # The page reached backwards keeps its place for "select all".
    select_all = named_link(back_to_second, r"Select all \d+ on this page that lack reviewers")
    assert select_all and "before=" in select_all
    ticked = re.findall(
        r'name="application_id" value="(\d+)" form="bulk-assign" checked',
        page_text(officer.get(select_all)),
    )
    assert len(ticked) == len(references(second))


def test_reviewers_page_and_panel_go_back(app, demo, officer):  # noqa: F811
    add_reviewers(app, 120)
    first = page_text(officer.get("/staff/review/reviewers"))
    names = re.findall(r"<strong>([^<]+)</strong>", first)
    second = page_text(officer.get(next_link(first) or ""))
    third = page_text(officer.get(next_link(second) or ""))
    back = page_text(officer.get(link(third, "prev") or ""))
    assert re.findall(r"<strong>([^<]+)</strong>", back) == re.findall(
        r"<strong>([^<]+)</strong>", second
    )
    again = page_text(officer.get(link(back, "prev") or ""))
    assert re.findall(r"<strong>([^<]+)</strong>", again) == names
    assert link(again, "prev") is None
    # The overview's reviewers panel: Next reviewers, then Previous reviewers.
    add_bare_applications(app, KEY, 3, status=Status.EXPERT_REVIEW, prefix="T-KP")
    overview = page_text(officer.get(overview_url(app)))
    assert named_link(overview, "Previous reviewers") is None
    later = page_text(officer.get(named_link(overview, "Next reviewers") or ""))
    earlier_url = named_link(later, "Previous reviewers")
    assert earlier_url and "reviewers_before=" in earlier_url
    earlier = page_text(officer.get(earlier_url))
    assert named_link(earlier, "Previous reviewers") is None
    assert named_link(earlier, "Next reviewers") == named_link(overview, "Next reviewers")
