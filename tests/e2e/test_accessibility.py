"""Every page of the main journeys, checked in Chromium with axe-core against WCAG 2.1 A and
AA (plus axe's best practices): no violation of serious or critical impact is allowed.

Pages are checked in Chinese (the default) and the key ones in English too. Each page is its
own test (``-k firm-summary-error`` runs one); on a failure the message lists each violation's
rule id, impact, help text and the CSS selectors of the offending elements. Every page is also
checked for ids used more than once (``axe.assert_unique_ids``; axe itself no longer checks
them), which would point a label at the wrong field.

To stay fast, the pages share one seeded state, made once for this module: the demo data plus
applications in every state a page shows (a draft, a submission waiting for its formal check,
one returned for changes, one in expert review with a submitted and a pending review, ranked
ones awaiting a decision, awards in publicity and on hold, final decisions with their letters),
served by one live server, and one signed-in browser context per person. Checking a page never
changes that state: the pages with a validation error are forms submitted with bad input, which
the portal refuses without writing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, select, text

from portal import create_app
from portal.accounts.models import User
from portal.applications.models import Application, Status
from portal.core.extensions import db
from portal.core.jobs import commit as commit_and_dispatch
from portal.core.timeutil import bureau_today
from portal.letters.issuing import due_application_ids, issue_due_letters
from portal.letters.models import Letter
from portal.programs.models import Program
from portal.review import formal_check
from tests.conftest import TEST_CONFIG, TEST_DATABASE_URL
from tests.e2e import axe
from tests.e2e.conftest import EXPECT_TIMEOUT_MS, serve
from tests.helpers import (
    DEMO_PASSWORD,
    add_final_decision,
    close_connections,
    make_award_final,
    make_pdf,
    sign_in,
    submit_application,
)
from tests.integration.test_decisions import make_application, make_firm
from tests.integration.test_publicity import add_objection, in_publicity
from tests.integration.test_reviewer_scoring import CRITERIA

RD = "rd-post-subsidy-2026"  # formal check only
KEY = "key-above-size-2026"  # expert review, ranked
EAGLE = "young-eagle-gazelle-2026"  # checked against the profile
PARK = "fluorine-digital-2026"  # asks for project figures

FIRM = "ent1@example.com"
OTHER_FIRM = "ent3@example.com"
RETURNED_FIRM = "ent2@example.com"
OFFICER = "officer@example.com"
REVIEWER_DONE = "reviewer1@example.com"  # has submitted its review of the firm's application
REVIEWER = "reviewer2@example.com"  # has not started its review
ADMIN = "admin@example.com"
ACCOUNTS = {
    "firm": FIRM,
    "officer": OFFICER,
    "reviewer": REVIEWER,
    "reviewer-done": REVIEWER_DONE,
    "admin": ADMIN,
}


# --- one seeded portal for the whole module ---------------------------------------------------


@pytest.fixture(scope="module")
def portal_app(migrated_database, tmp_path_factory) -> Iterator[Any]:
    """An app with CSRF on (as in production), on a database of its own for this module."""
    tmp = tmp_path_factory.mktemp("a11y")
    if TEST_DATABASE_URL:
        url = migrated_database
    else:
        shutil.copyfile(migrated_database, tmp / "portal.db")
        url = f"sqlite:///{tmp / 'portal.db'}"
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": url,
            "FILES_DIR": str(tmp / "files"),
            "WTF_CSRF_ENABLED": True,
        }
    )
    yield app
    close_connections(app)
    if TEST_DATABASE_URL:  # leave the shared PostgreSQL database empty for the next test
        tables = ", ".join(table.name for table in db.metadata.sorted_tables)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE TABLE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()


@pytest.fixture(scope="module")
def seeded(portal_app) -> dict[str, int]:
    return seed_journeys(portal_app)


@pytest.fixture(scope="module")
def base_url(portal_app, seeded) -> Iterator[str]:
    with serve(portal_app, "a11y-server") as url:
        yield url


def _client(app, email: str):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _program_id(code: str) -> int:
    return db.session.scalar(select(Program.id).where(Program.code == code))


def seed_journeys(app) -> dict[str, int]:
    """The state every checked page needs; returns the ids the pages' addresses use."""
    from portal.demo import seed_demo_data

    with app.app_context():
        seed_demo_data()
        db.session.commit()

    ids: dict[str, int] = {}
    # The firms' and staff's pages are driven by the test client, which sends no CSRF token.
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        firm = _client(app, FIRM)
        # A draft of every kind of section: formula amount (young eagle), project figures (park).
        for name, code in (("draft", EAGLE), ("park_draft", PARK)):
            response = firm.post(f"/programmes/{code}/apply")
            assert response.status_code == 302, response.get_data(as_text=True)[:300]
            ids[name] = int(response.headers["Location"].rsplit("/", 1)[1])
        firm.post(
            f"/applications/{ids['draft']}/summary",
            data={"project_title": "含氟新材料中试线", "project_summary": "建设中试线。"},
        )
        # In expert review: reviewer1 has submitted, reviewer2 has not started.
        ids["in_review"] = submit_application(app, FIRM, KEY, client=firm)
        # Final: approved after publicity, with its letter (issued by a job, run inline).
        ids["awarded"] = submit_application(app, FIRM, RD, client=firm)
        # Waiting for the officer's formal check, and returned for changes.
        ids["submitted"] = submit_application(app, OTHER_FIRM, RD)
        ids["returned"] = submit_application(app, RETURNED_FIRM, RD)

        officer = _client(app, OFFICER)
        assert officer.post(f"/staff/applications/{ids['in_review']}/pass-check").status_code == 302
        due_on = (bureau_today() + timedelta(days=14)).isoformat()
        with app.app_context():
            reviewer_ids = [_user(email).id for email in (REVIEWER_DONE, REVIEWER)]
            returned = db.session.get(Application, ids["returned"])
            formal_check.return_for_changes(
                returned,
                ["summary"],
                "请补充项目的技术路线。",
                actor=_user(OFFICER),
            )
            commit_and_dispatch()
        for reviewer_id in reviewer_ids:
            response = officer.post(
                f"/staff/review/applications/{ids['in_review']}/assign",
                data={"reviewer_id": str(reviewer_id), "due_on": due_on},
            )
            assert response.status_code == 302, response.get_data(as_text=True)[:300]
        reviewer = _client(app, REVIEWER_DONE)
        with app.app_context():
            from portal.review.models import Assignment

            for email in (REVIEWER_DONE, REVIEWER):
                ids[f"assignment_{email[:9]}"] = db.session.scalar(
                    select(Assignment.id).where(
                        Assignment.application_id == ids["in_review"],
                        Assignment.reviewer_id == _user(email).id,
                    )
                )
        scores = {}
        for key in CRITERIA:
            scores[f"score__{key}"] = "8"
            scores[f"comment__{key}"] = "技术路线清楚，团队扎实。"
        response = reviewer.post(
            f"/review/{ids['assignment_reviewer1']}",
            data={**scores, "action": "submit", "confirmed": "1"},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:300]

        make_award_final(app, ids["awarded"])

        # Ranked applications awaiting a decision (one approval pending), awards in publicity.
        for index, score in ((901, "91"), (902, "84"), (903, "72"), (904, "55")):
            application_id = make_application(app, KEY, make_firm(app, index), score=score)
            ids.setdefault("ranked_first", application_id)
        make_application(
            app,
            KEY,
            make_firm(app, 905),
            score="95",
            decision="approve",
            decided_amount=Decimal("500000"),
        )
        ids["in_publicity"] = in_publicity(app, KEY, 906, amount="500000")
        ids["on_hold"] = in_publicity(app, KEY, 907, amount="200000", status=Status.ON_HOLD)
        add_objection(app, ids["on_hold"])
        # More final decisions on the R&D programme, and their letters.
        add_final_decision(app, RD, amount="95000.00")
        add_final_decision(app, RD, approved=False)
        with app.app_context():
            rd_id = _program_id(RD)
            issue_due_letters(due_application_ids(rd_id))
            commit_and_dispatch()
        response = officer.post(f"/staff/letters/programmes/{rd_id}/export")
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        ids["export"] = int(response.headers["Location"].rsplit("/", 1)[1])
    finally:
        app.config["WTF_CSRF_ENABLED"] = True

    with app.app_context():
        letter = db.session.scalar(select(Letter).where(Letter.application_id == ids["awarded"]))
        ids["letter"] = letter.id
        ids["verification_code"] = letter.verification_code
        ids["rd"] = _program_id(RD)
        ids["key"] = _program_id(KEY)
        ids["reviewer_done_user"] = _user(REVIEWER_DONE).id
    return ids


# --- the people: one browser context each, signed in once -------------------------------------


@pytest.fixture(scope="module")
def people(browser: Browser, base_url: str) -> Iterator[Callable[[str, str], Page]]:
    """Return person(who, locale): that person's page, signed in once, in that language."""
    pages: dict[tuple[str, str], Page] = {}
    contexts = []

    def person(who: str, locale: str) -> Page:
        key = (who, locale) if who == "public" else (who, "")
        if key not in pages:
            context = browser.new_context(
                base_url=base_url, locale="zh-CN", viewport={"width": 1280, "height": 900}
            )
            context.set_default_timeout(EXPECT_TIMEOUT_MS)
            contexts.append(context)
            page = context.new_page()
            if who == "public":
                page.goto("/")
                if locale == "en":
                    page.locator("button[name=locale][value=en]").click()
                    expect(page.locator("html")).to_have_attribute("lang", "en")
            else:
                page.goto("/login")
                page.locator("#email").fill(ACCOUNTS[who])
                page.locator("#password").fill(DEMO_PASSWORD)
                page.locator("main form button[type=submit]").click()
                expect(page.locator("form[action$='/logout'] button")).to_be_visible()
            pages[key] = page
        return pages[key]

    yield person
    for context in contexts:
        context.close()


def set_account_locale(app, email: str, locale: str) -> None:
    """A signed-in person's pages follow the language saved on the account."""
    with app.app_context():
        _user(email).locale = locale
        db.session.commit()


# --- the pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    who: str  # "public" or a key of ACCOUNTS
    path: str  # may name ids of the seeded state: {draft}, {letter}, ...
    then: Callable[[Page, dict], None] | None = None  # bring the page into the state checked
    status: int = 200


def press(selector: str, *, error: bool = True) -> Callable[[Page, dict], None]:
    """Submit a form as it is (empty, or with what the page filled in): by default, a form
    the portal refuses with a validation error."""

    def act(page: Page, _ids: dict) -> None:
        page.locator(selector).first.click()
        page.wait_for_load_state()
        if error:
            expect(page.locator(".field__error, .error-summary").first).to_be_visible()

    return act


def fill_and_press(
    fields: dict[str, str], selector: str, *, error: bool = True
) -> Callable[[Page, dict], None]:
    def act(page: Page, ids: dict) -> None:
        for field, value in fields.items():
            page.locator(field).first.fill(value)
        press(selector, error=error)(page, ids)

    return act


def upload_and_press(input_selector: str, button: str, content: bytes, name: str):
    def act(page: Page, ids: dict) -> None:
        page.locator(input_selector).set_input_files(
            {"name": name, "mimeType": "application/pdf", "buffer": content}
        )
        page.locator(button).click()
        page.wait_for_load_state()

    return act


def open_details(selector: str) -> Callable[[Page, dict], None]:
    def act(page: Page, _ids: dict) -> None:
        page.locator(f"{selector} > summary").click()
        expect(page.locator(selector)).to_have_attribute("open", "")

    return act


def open_decision_form(page: Page, ids: dict) -> None:
    page.locator(f"a[href='#decide-{ids['ranked_first']}']").click()
    expect(page.locator(f"#decide-{ids['ranked_first']}")).to_be_visible()


def bad_decision(page: Page, ids: dict) -> None:
    open_decision_form(page, ids)
    form = page.locator(f"#decide-{ids['ranked_first']} form")
    form.locator(f"input[name=a{ids['ranked_first']}-decision][value=approve]").check()
    form.locator(f"#a{ids['ranked_first']}-amount").fill("-1")
    form.locator("button[type=submit]").click()
    expect(page.locator(".field__error").first).to_be_visible()


SUBMIT = "main form button[type=submit]"
SAVE = "button[name=then][value=continue]"
NOT_A_PDF = b"This is a plain text file, not a PDF.\n"

CHECKS = [
    # The public: landing, programmes, accounts, verification, publicity.
    Check("public-home", "public", "/"),
    Check("public-programmes", "public", "/programmes"),
    Check("public-programme", "public", f"/programmes/{RD}"),
    Check("public-register", "public", "/register"),
    Check("public-register-error", "public", "/register", press(SUBMIT)),
    Check("public-sign-in", "public", "/login"),
    Check("public-sign-in-error", "public", "/login", press(SUBMIT)),
    Check("public-forgot-password", "public", "/password/forgot"),
    Check(
        "public-forgot-password-sent",
        "public",
        "/password/forgot",
        fill_and_press({"#email": "nobody@example.com"}, SUBMIT, error=False),
    ),
    Check("public-reset-password-invalid", "public", "/password/reset/not-a-token", status=404),
    Check("public-verify", "public", "/verify"),
    Check("public-verify-found", "public", "/verify/{verification_code}"),
    Check("public-verify-not-found", "public", "/verify/ABCD-EFGH-JKMN", status=404),
    Check(
        "public-verify-file-unknown",
        "public",
        "/verify",
        upload_and_press("#file", "form[action$='/verify/file'] button", make_pdf(), "x.pdf"),
    ),
    Check("public-publicity", "public", "/publicity"),
    Check("public-objection", "public", "/publicity/{in_publicity}/object"),
    Check("public-objection-error", "public", "/publicity/{in_publicity}/object", press(SUBMIT)),
    Check("public-not-found", "public", "/no-such-page", status=404),
    # The firm: home, profile, eligibility, every section of an application, its status.
    Check("firm-home", "firm", "/home"),
    Check("firm-profile", "firm", "/profile"),
    Check("firm-programmes", "firm", "/programmes"),
    Check("firm-eligibility", "firm", f"/programmes/{KEY}"),
    Check("firm-eligibility-depends", "firm", f"/programmes/{PARK}"),
    Check("firm-applications", "firm", "/applications"),
    Check("firm-draft", "firm", "/applications/{draft}"),
    Check("firm-summary", "firm", "/applications/{draft}/summary"),
    Check(
        "firm-summary-error",
        "firm",
        "/applications/{draft}/summary",
        fill_and_press({"#project_title": ""}, SAVE),
    ),
    Check("firm-figures", "firm", "/applications/{draft}/figures"),
    Check(
        "firm-figures-error",
        "firm",
        "/applications/{draft}/figures",
        fill_and_press({"main input[type=text][id^=value-]": "abc"}, SAVE),
    ),
    Check("firm-project-figures", "firm", "/applications/{park_draft}/figures"),
    Check(
        "firm-project-figures-error",
        "firm",
        "/applications/{park_draft}/figures",
        fill_and_press({"#eligible_investment": "-1"}, SAVE),
    ),
    Check("firm-amount", "firm", "/applications/{draft}/amount"),
    Check(
        "firm-amount-error",
        "firm",
        "/applications/{draft}/amount",
        fill_and_press({"#requested_amount": "-1"}, SAVE),
    ),
    Check("firm-documents", "firm", "/applications/{draft}/documents"),
    Check(
        "firm-documents-error",
        "firm",
        "/applications/{draft}/documents",
        upload_and_press(
            "main form.upload-form input[type=file] >> nth=0",
            "main form.upload-form button >> nth=0",
            NOT_A_PDF,
            "fake.pdf",
        ),
    ),
    Check("firm-declaration", "firm", "/applications/{draft}/declaration"),
    Check("firm-declaration-error", "firm", "/applications/{draft}/declaration", press(SAVE)),
    Check("firm-check", "firm", "/applications/{draft}/check"),
    Check(
        "firm-check-error",
        "firm",
        "/applications/{draft}/check",
        press("form[action$='/submit'] button[type=submit]"),
    ),
    Check("firm-withdraw", "firm", "/applications/{draft}/withdraw"),
    Check("firm-under-review", "firm", "/applications/{in_review}"),
    Check("firm-answers", "firm", "/applications/{in_review}/check"),
    Check("firm-awarded", "firm", "/applications/{awarded}"),
    Check("firm-notifications", "firm", "/notifications"),
    Check("firm-password", "firm", "/account/password"),
    Check("firm-password-error", "firm", "/account/password", press(SUBMIT)),
    # The officer: queue, formal check, assignment, decisions, publicity, letters, exports.
    Check("officer-home", "officer", "/home"),
    Check("officer-queue", "officer", "/staff/applications"),
    Check("officer-formal-check", "officer", "/staff/applications/{submitted}"),
    Check(
        "officer-formal-check-error",
        "officer",
        "/staff/applications/{submitted}",
        lambda page, ids: (
            open_details(".desk-action--return")(page, ids),
            press("form[action$='/return'] button[type=submit]")(page, ids),
        ),
    ),
    Check("officer-returned", "officer", "/staff/applications/{returned}"),
    Check("officer-in-review", "officer", "/staff/applications/{in_review}"),
    Check("officer-assignment", "officer", "/staff/review/applications/{in_review}"),
    Check(
        "officer-assignment-error",
        "officer",
        "/staff/review/applications/{in_review}",
        press("form[action$='/assign'] button[type=submit]:not([formaction])"),
    ),
    Check("officer-review-overview", "officer", "/staff/review/programmes/{key}"),
    Check("officer-reviewers", "officer", "/staff/review/reviewers"),
    Check("officer-reviewer", "officer", "/staff/review/reviewers/{reviewer_done_user}"),
    Check("officer-decisions", "officer", "/staff/decisions"),
    Check("officer-ranked", "officer", "/staff/decisions/programmes/{key}"),
    Check(
        "officer-ranked-decide",
        "officer",
        "/staff/decisions/programmes/{key}",
        open_decision_form,
    ),
    Check("officer-ranked-error", "officer", "/staff/decisions/programmes/{key}", bad_decision),
    Check("officer-ranked-rd", "officer", "/staff/decisions/programmes/{rd}"),
    Check("officer-objections", "officer", "/staff/decisions/objections"),
    Check("officer-letters", "officer", "/staff/letters"),
    Check("officer-programme-letters", "officer", "/staff/letters/programmes/{rd}"),
    Check("officer-letter-export", "officer", "/staff/letters/exports/{export}"),
    Check("officer-reissue", "officer", "/staff/letters/{letter}/reissue"),
    Check("officer-reissue-error", "officer", "/staff/letters/{letter}/reissue", press(SUBMIT)),
    Check("officer-awarded", "officer", "/staff/applications/{awarded}"),
    Check("officer-exports", "officer", "/staff/exports"),
    Check("officer-dashboard", "officer", "/staff/dashboard"),
    Check("officer-programmes", "officer", "/staff/programmes"),
    # The expert reviewer: queue, the scoring form, declining for a conflict, a done review.
    Check("reviewer-home", "reviewer", "/home"),
    Check("reviewer-queue", "reviewer", "/review"),
    Check("reviewer-score", "reviewer", "/review/{assignment_reviewer2}"),
    Check(
        "reviewer-score-error",
        "reviewer",
        "/review/{assignment_reviewer2}",
        press("form.rv-form button[name=action][value=submit]"),
    ),
    Check(
        "reviewer-conflict",
        "reviewer",
        "/review/{assignment_reviewer2}",
        open_details("#decline"),
    ),
    Check(
        "reviewer-conflict-error",
        "reviewer",
        "/review/{assignment_reviewer2}",
        lambda page, ids: (
            open_details("#decline")(page, ids),
            press("#decline form button[type=submit]")(page, ids),
        ),
    ),
    Check("reviewer-submitted", "reviewer-done", "/review/{assignment_reviewer1}"),
    # The administrator: accounts, staff, audit, the programme editor.
    Check("admin-home", "admin", "/home"),
    Check("admin-accounts", "admin", "/admin/accounts"),
    Check("admin-new-staff", "admin", "/admin/staff/new"),
    Check("admin-new-staff-error", "admin", "/admin/staff/new", press(SUBMIT)),
    Check("admin-audit", "admin", "/admin/audit"),
    Check("admin-programmes", "admin", "/staff/programmes"),
    Check("admin-programme-editor", "admin", "/staff/programmes/{key}/edit"),
    Check("admin-programme-new", "admin", "/staff/programmes/new"),
    Check(
        "admin-programme-new-error",
        "admin",
        "/staff/programmes/new",
        press("main form button[name=action][value=save]"),
    ),
]

ENGLISH = {
    "public-home",
    "public-programmes",
    "public-programme",
    "public-register-error",
    "public-sign-in",
    "public-verify-found",
    "public-publicity",
    "firm-home",
    "firm-eligibility",
    "firm-draft",
    "firm-summary-error",
    "firm-figures",
    "firm-documents-error",
    "firm-check",
    "firm-awarded",
    "officer-queue",
    "officer-formal-check",
    "officer-assignment",
    "officer-ranked-decide",
    "officer-dashboard",
    "reviewer-score-error",
    "admin-accounts",
    "admin-programme-editor",
}
CASES = [(check, "zh_CN") for check in CHECKS] + [
    (check, "en") for check in CHECKS if check.name in ENGLISH
]


def test_every_english_page_is_listed():
    assert {check.name for check in CHECKS} >= ENGLISH


@pytest.mark.parametrize(
    ("check", "locale"),
    CASES,
    ids=[f"{check.name}-{'zh' if locale == 'zh_CN' else 'en'}" for check, locale in CASES],
)
def test_page_has_no_serious_violations(
    check: Check, locale: str, people, portal_app, seeded, screenshot
):
    page = people(check.who, locale)
    if check.who != "public":
        set_account_locale(portal_app, ACCOUNTS[check.who], locale)
    response = page.goto(check.path.format(**seeded))
    assert response is not None and response.status == check.status, (
        f"{check.path}: {response and response.status}"
    )
    if check.then is not None:
        check.then(page, seeded)
    expect(page.locator("html")).to_have_attribute("lang", "en" if locale == "en" else "zh-CN")
    screenshot(page, f"a11y-{check.name}-{'zh' if locale == 'zh_CN' else 'en'}")
    axe.assert_accessible(page, f"{check.name} ({locale})")


def test_axe_reports_a_planted_violation(people):
    """The harness would catch a real fault: an unnamed button and an image without alt
    planted into a page are reported as critical."""
    page = people("public", "zh_CN")
    page.goto("/")
    page.evaluate(
        """() => {
            const main = document.querySelector('main');
            const button = document.createElement('button');
            main.appendChild(button);
            const img = document.createElement('img');
            img.src = '/static/img/emblem.svg';
            main.appendChild(img);
        }"""
    )
    found = {v["id"]: v["impact"] for v in axe.blocking(axe.run(page))}
    assert found.get("button-name") == "critical", found
    assert found.get("image-alt") == "critical", found
    assert "button-name" in axe.describe(axe.blocking(axe.run(page)))


def test_a_planted_duplicate_id_is_reported(people):
    """Every checked page is also checked for ids used twice (axe no longer does): a second
    element with the id of a field, planted into a page, fails the check and is named."""
    page = people("public", "zh_CN")
    page.goto("/login")
    assert axe.duplicate_ids(page) == []
    page.evaluate(
        """() => {
            const twin = document.createElement('textarea');
            twin.id = 'email';
            twin.hidden = true;
            document.querySelector('main').appendChild(twin);
        }"""
    )
    duplicates = axe.duplicate_ids(page)
    assert [(d["id"], d["count"]) for d in duplicates] == [("email", 2)], duplicates
    with pytest.raises(AssertionError, match="id='email' on 2 elements"):
        axe.assert_unique_ids(page, "planted")


def test_vendored_engine_is_the_documented_one():
    readme = (Path(axe.AXE_DIR) / "README.md").read_text(encoding="utf-8")
    assert f"| version | {axe.AXE_VERSION} |" in readme
    assert axe.axe_source().startswith(f"/*! axe v{axe.AXE_VERSION}")
    assert (
        (Path(axe.AXE_DIR) / "LICENSE")
        .read_text(encoding="utf-8")
        .startswith("Mozilla Public License")
    )
