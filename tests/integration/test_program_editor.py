"""The officers' programme editor: create and edit programmes through the one server-rendered
page, rows added and removed without JavaScript, rules versioned once applications exist."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from portal.accounts.models import User
from portal.applications.models import Application, Status
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.programs import services
from portal.programs.demo import COMMON_RULES
from portal.programs.models import Program, ProgramVersion
from tests.helpers import english_client, use_english

NEW_URL = "/staff/programmes/new"

# Where the key above-size programme's own rules start: after the rules every demo programme
# shares (region, risk lists, overdue reports, credit bans).
ABOVE_SIZE = len(COMMON_RULES)


def _edit_url(program_id: int) -> str:
    return f"/staff/programmes/{program_id}/edit"


class _EditorForm(HTMLParser):
    """The fields the editor form would send, read from its HTML as a browser would."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._in_form = "editor" in (attributes.get("class") or "").split()
        if not self._in_form:
            return
        if tag == "input":
            kind = attributes.get("type", "text")
            if kind in ("submit", "button") or (kind == "checkbox" and "checked" not in attributes):
                return
            self.fields.append((attributes["name"], attributes.get("value") or ""))
        elif tag == "select":
            self._select, self._options = attributes["name"], []
        elif tag == "option" and self._select:
            self._options.append((attributes.get("value") or "", "selected" in attributes))
        elif tag == "textarea":
            self._textarea, self._text = attributes["name"], []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            self.fields.append((self._select, (chosen or [self._options[0][0]])[0]))
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            # a browser drops the newline that directly follows <textarea>
            self.fields.append((self._textarea, text.removeprefix("\r\n").removeprefix("\n")))
            self._textarea = None


def _form_fields(page: str) -> MultiDict:
    reader = _EditorForm()
    reader.feed(page)
    return MultiDict(reader.fields)


def _new_programme(**changes: str) -> dict[str, str]:
    """A complete, valid submission of the create form."""
    data = {
        "code": "innovation-vouchers-2027",
        "name_zh": "科技创新券",
        "name_en": "Innovation vouchers",
        "summary_zh": "面向小微企业的创新券。",
        "summary_en": "Vouchers for small firms.",
        "kind": "selection",
        "issuer_code": "阜科发",
        "opens_at": "2027-03-01T09:00",
        "closes_at": "2027-04-30T17:30",
        "budget": "2,000,000",
        "per_firm_cap": "",
        "reviewers_per_application": "3",
        "publicity_days": "7",
        "score_spread_threshold": "15",
        "pro_rata": "y",
        "rules-0-kind": "registered_in_region",
        "rules-0-shown": "registered_in_region",
        "rules-0-group": "",
        "rules-0-p-prefix": "2109",
        "rules-1-kind": "rd_last_year_at_least",
        "rules-1-shown": "rd_last_year_at_least",
        "rules-1-group": "",
        "rules-1-p-amount": "600000",
        "rules-2-kind": "ip_class_i_at_least",
        "rules-2-shown": "ip_class_i_at_least",
        "rules-2-group": "a",
        "rules-2-p-count": "2",
        "rules-3-kind": "has_rd_institution",
        "rules-3-shown": "has_rd_institution",
        "rules-3-group": "A",
        "formula-kind": "ranked_tiers",
        "formula-shown": "ranked_tiers",
        "formula-p-tiers-0-count": "5",
        "formula-p-tiers-0-amount": "300000",
        "formula-p-tiers-1-count": "10",
        "formula-p-tiers-1-amount": "100000.50",
        "formula-p-min_score": "65",
        "documents-0-key": "business_plan",
        "documents-0-name_zh": "商业计划书",
        "documents-0-name_en": "Business plan",
        "documents-0-max_mb": "20",
        "documents-0-required": "y",
        "documents-0-required_from_investment": "",
        "documents-1-key": "special_audit",
        "documents-1-name_zh": "专项审计报告",
        "documents-1-name_en": "Special audit report",
        "documents-1-max_mb": "10",
        "documents-1-required_from_investment": "1,000,000",
        "rubric-0-key": "innovation",
        "rubric-0-name_zh": "创新能力",
        "rubric-0-name_en": "Innovation",
        "rubric-0-weight": "60",
        "rubric-0-scale_max": "10",
        "rubric-0-minimum": "4",
        "rubric-1-key": "market",
        "rubric-1-name_zh": "市场前景",
        "rubric-1-name_en": "Market",
        "rubric-1-weight": "40",
        "rubric-1-scale_max": "5",
        "rubric-1-minimum": "",
        "action": "save",
    }
    data.update(changes)
    form = MultiDict(data)
    form.setlist("documents-0-kinds", ["pdf", "image"])
    form.setlist("documents-1-kinds", ["pdf"])
    return form


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _events(app, action: str, program_id: int | None = None) -> list[AuditEvent]:
    """Events of this action (about this programme), oldest first."""
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    if program_id is not None:
        query = query.where(
            AuditEvent.object_type == "programs", AuditEvent.object_id == str(program_id)
        )
    with app.app_context():
        return list(db.session.scalars(query))


def _program_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Program.id).where(Program.code == code))


def _versions(app, program_id: int) -> list[ProgramVersion]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(ProgramVersion)
                .where(ProgramVersion.program_id == program_id)
                .order_by(ProgramVersion.number)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def officer(signed_in):
    client = signed_in("officer@example.com")
    use_english(client)
    return client


# --- creating -------------------------------------------------------------------------------


def test_officer_creates_a_programme_with_version_1(app, officer):
    response = officer.post(NEW_URL, data=_new_programme())
    assert response.status_code == 302, _text(response)[-3000:]
    assert response.headers["Location"].endswith("/staff/programmes")
    assert "Programme saved." in _text(officer.get("/staff/programmes"))

    program_id = _program_id(app, "innovation-vouchers-2027")
    with app.app_context():
        program = db.session.get(Program, program_id)
        assert program.name_en == "Innovation vouchers"
        assert program.kind.value == "selection"
        assert program.budget == Decimal("2000000")
        assert program.per_firm_cap is None
        assert (program.reviewers_per_application, program.publicity_days) == (3, 7)
        assert program.pro_rata is True
        assert program.current_version_number == 1
    [version] = _versions(app, program_id)
    assert version.number == 1
    assert version.eligibility == {
        "all": [
            {"rule": "registered_in_region", "params": {"prefix": "2109"}},
            {"rule": "rd_last_year_at_least", "params": {"amount": "600000"}},
            {
                "any": [
                    {"rule": "ip_class_i_at_least", "params": {"count": 2}},
                    {"rule": "has_rd_institution", "params": {}},
                ]
            },
        ]
    }
    assert version.formula == {
        "formula": "ranked_tiers",
        "params": {"tiers": [[5, "300000"], [10, "100000.5"]], "min_score": "65"},
    }
    assert version.documents == [
        {
            "key": "business_plan",
            "name_zh": "商业计划书",
            "name_en": "Business plan",
            "kinds": ["pdf", "image"],
            "max_mb": 20,
            "required": True,
            "required_from_investment": None,
        },
        {
            "key": "special_audit",
            "name_zh": "专项审计报告",
            "name_en": "Special audit report",
            "kinds": ["pdf"],
            "max_mb": 10,
            "required": False,
            "required_from_investment": "1000000",
        },
    ]
    assert version.rubric == [
        {
            "key": "innovation",
            "name_zh": "创新能力",
            "name_en": "Innovation",
            "weight": 60,
            "scale_max": 10,
            "minimum": 4,
        },
        {
            "key": "market",
            "name_zh": "市场前景",
            "name_en": "Market",
            "weight": 40,
            "scale_max": 5,
            "minimum": None,
        },
    ]
    [event] = _events(app, "program.created", program_id)
    assert event.summary == {"code": "innovation-vouchers-2027"}


def test_times_typed_in_shanghai_are_stored_as_utc(app, officer):
    response = officer.post(
        NEW_URL, data=_new_programme(opens_at="2027-03-01T09:00", closes_at="2027-05-01T00:30")
    )
    assert response.status_code == 302
    program_id = _program_id(app, "innovation-vouchers-2027")
    with app.app_context():
        program = db.session.get(Program, program_id)
        assert program.opens_at == datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
        assert program.closes_at == datetime(2027, 4, 30, 16, 30, tzinfo=UTC)
    page = _text(officer.get(_edit_url(program_id)))
    assert 'value="2027-03-01T09:00"' in page
    assert 'value="2027-05-01T00:30"' in page


def test_the_new_programme_page_offers_every_rule_and_formula_kind(officer):
    from portal.programs.formulas import FORMULA_KINDS
    from portal.programs.rule_catalogue import RULE_KINDS

    page = _text(officer.get(NEW_URL))
    for key, kind in RULE_KINDS.items():
        assert f'<option value="{key}">{kind.label}</option>' in page
    for key in FORMULA_KINDS:
        assert f'<option value="{key}">' in page
    assert '<label class="field__label" for="code">Code</label>' in page


# --- rows without JavaScript ----------------------------------------------------------------


def test_add_rule_keeps_everything_typed_and_saves_nothing(app, officer):
    before = _count(app, Program), _count(app, ProgramVersion)
    data = _new_programme(action="add_rule", name_en="Typed but not saved")
    data["rules-1-p-amount"] = "777777"
    response = officer.post(NEW_URL, data=data)
    assert response.status_code == 200
    page = _text(response)
    assert 'value="Typed but not saved"' in page
    assert 'value="777777"' in page
    assert 'name="rules-4-kind"' in page  # the new, fifth row
    assert 'name="rules-5-kind"' not in page
    assert "There is a problem" not in page
    assert (_count(app, Program), _count(app, ProgramVersion)) == before


def test_remove_rule_renumbers_the_rows_and_saves_nothing(app, officer):
    before = _count(app, Program)
    response = officer.post(NEW_URL, data=_new_programme(action="remove_rule:0"))
    assert response.status_code == 200
    fields = _form_fields(_text(response))
    assert [fields[f"rules-{i}-kind"] for i in range(3)] == [
        "rd_last_year_at_least",
        "ip_class_i_at_least",
        "has_rd_institution",
    ]
    assert "rules-3-kind" not in fields
    assert fields["rules-0-p-amount"] == "600000"
    assert fields["rules-1-group"] == "a"
    assert fields["code"] == "innovation-vouchers-2027"
    assert _count(app, Program) == before


def test_a_newly_chosen_kind_gets_its_parameters_on_update(app, officer):
    data = _new_programme(action="refresh")
    data["rules-1-kind"] = "above_designated_size"  # shown is still rd_last_year_at_least
    page = _text(officer.post(NEW_URL, data=data))
    fields = _form_fields(page)
    assert fields["rules-1-shown"] == "above_designated_size"
    assert fields["rules-1-p-min_revenue"] == "20000000"  # the kind's default
    assert "rules-1-p-amount" not in fields


def test_saving_right_after_changing_a_kind_asks_to_check_its_parameters(app, officer):
    before = _count(app, Program)
    data = _new_programme()
    data["formula-kind"] = "rd_increase_share"  # shown is still ranked_tiers
    response = officer.post(NEW_URL, data=data)
    assert response.status_code == 422
    assert "Check the parameters of the newly chosen formula, then save again." in _text(response)
    fields = _form_fields(_text(response))
    assert fields["formula-shown"] == "rd_increase_share"
    assert fields["formula-p-rate"] == "10"
    assert _count(app, Program) == before
    # saved again as shown, it goes through
    fields["action"] = "save"
    assert officer.post(NEW_URL, data=fields).status_code == 302
    assert _count(app, Program) == before + 1


def test_tier_documents_and_criteria_rows_are_added_and_removed(app, officer):
    page = _text(officer.post(NEW_URL, data=_new_programme(action="add_pair:formula-p-tiers")))
    assert 'name="formula-p-tiers-2-count"' in page
    fields = _form_fields(
        _text(officer.post(NEW_URL, data=_new_programme(action="remove_pair:formula-p-tiers:0")))
    )
    assert fields["formula-p-tiers-0-count"] == "10"
    assert "formula-p-tiers-1-count" not in fields

    fields = _form_fields(_text(officer.post(NEW_URL, data=_new_programme(action="add_document"))))
    assert (fields["documents-2-max_mb"], fields.getlist("documents-2-kinds")) == ("10", ["pdf"])
    assert fields.getlist("documents-0-kinds") == ["pdf", "image"]
    fields = _form_fields(
        _text(officer.post(NEW_URL, data=_new_programme(action="remove_document:0")))
    )
    assert fields["documents-0-key"] == "special_audit"
    assert fields["documents-0-required_from_investment"] == "1,000,000"

    fields = _form_fields(_text(officer.post(NEW_URL, data=_new_programme(action="add_criterion"))))
    assert fields["rubric-2-scale_max"] == "10"
    fields = _form_fields(
        _text(officer.post(NEW_URL, data=_new_programme(action="remove_criterion:1")))
    )
    assert fields["rubric-0-key"] == "innovation"
    assert "rubric-1-key" not in fields
    assert _program_id(app, "innovation-vouchers-2027") is None


def test_pressing_enter_redraws_the_page_rather_than_removing_a_row(officer):
    page = _text(officer.get(_edit_url(1)))
    form = page[page.index('<form method="post" novalidate class="form editor"') :]
    first_button = form[form.index("<button") : form.index("</button>")]
    assert 'value="refresh"' in first_button


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"code": "Bad Code!"},
            "Use 3 to 60 lower-case letters, digits and hyphens, for example rd-post-subsidy-2026.",
        ),
        (
            {"code": "rd-post-subsidy-2026"},
            "Another programme already uses the code “rd-post-subsidy-2026”. Choose another.",
        ),
        ({"closes_at": "2027-02-28T09:00"}, "The closing time must be after the opening time."),
        ({"rubric-1-weight": "30"}, "The rubric weights must add up to 100."),
        ({"rules-1-p-amount": ""}, "Rule 2: “Amount (yuan)” is required."),
        ({"rules-2-p-count": "two"}, "Rule 3: “Number” must be a whole number."),
        ({"rules-2-group": "AB"}, "Use one letter from A to Z, or leave it empty."),
        ({"budget": "0"}, "Enter an amount greater than 0."),
        ({"publicity_days": "31"}, "Enter a whole number from 0 to 30."),
        ({"opens_at": "next monday"}, "Enter a date and time, for example 2026-03-01 09:00."),
        ({"formula-p-tiers-1-amount": "lots"}, "Formula: “Tiers: number of firms and amount"),
        ({"documents-1-key": "business_plan"}, "Two documents have the same key."),
        ({"documents-0-max_mb": "51"}, "Enter a whole number from 1 to 50."),
        ({"rubric-0-minimum": "11"}, "Enter a whole number from 0 to the top of the scale"),
    ],
)
def test_bad_input_is_refused_with_its_message_and_nothing_written(app, officer, changes, message):
    before = _count(app, Program), _count(app, ProgramVersion), _count(app, AuditEvent)
    data = _new_programme(**changes)
    response = officer.post(NEW_URL, data=data)
    assert response.status_code == 422
    page = _text(response)
    assert message in page
    assert "There is a problem" in page
    fields = _form_fields(page)  # everything typed is kept
    for name, value in changes.items():
        assert fields[name] == value
    assert fields["name_en"] == "Innovation vouchers"
    assert (_count(app, Program), _count(app, ProgramVersion), _count(app, AuditEvent)) == before


def test_a_rule_that_needs_a_choice_is_refused_without_it(app, officer):
    data = _new_programme(action="refresh")
    data["rules-0-kind"] = "recognition_held"
    fields = _form_fields(_text(officer.post(NEW_URL, data=data)))
    assert fields["rules-0-p-recognition"] == ""
    fields["action"] = "save"
    response = officer.post(NEW_URL, data=fields)
    assert response.status_code == 422
    assert "Rule 1: “Recognition” is required." in _text(response)
    assert _program_id(app, "innovation-vouchers-2027") is None


def test_a_programme_needs_a_rule_and_a_formula(app, officer):
    page = _text(officer.get(NEW_URL))
    fields = _form_fields(page)
    fields.update(
        {
            key: value
            for key, value in _new_programme().items()
            if not key.startswith(("rules-", "formula-", "documents-", "rubric-"))
        }
    )
    response = officer.post(NEW_URL, data=fields)
    assert response.status_code == 422
    assert "Add at least one rule." in _text(response)
    assert "Choose a formula." in _text(response)
    assert _count(app, Program) == 4


# --- editing --------------------------------------------------------------------------------


def _demo_form(officer, program_id: int) -> MultiDict:
    response = officer.get(_edit_url(program_id))
    assert response.status_code == 200
    fields = _form_fields(_text(response))
    fields["action"] = "save"
    return fields


@pytest.mark.parametrize(
    "code",
    [
        "key-above-size-2026",
        "young-eagle-gazelle-2026",
        "rd-post-subsidy-2026",
        "fluorine-digital-2026",
    ],
)
def test_a_demo_programme_saved_unchanged_stays_as_it_was(app, officer, code):
    program_id = _program_id(app, code)
    [before] = _versions(app, program_id)
    response = officer.post(_edit_url(program_id), data=_demo_form(officer, program_id))
    assert response.status_code == 302, _text(response)[-3000:]
    [after] = _versions(app, program_id)
    assert after.id == before.id and after.number == 1
    for name in services.VERSIONED_FIELDS:
        assert getattr(after, name) == getattr(before, name), name
    assert _events(app, "program.updated") == []


def test_editing_without_submitted_applications_updates_version_1_in_place(app, officer):
    program_id = _program_id(app, "key-above-size-2026")
    fields = _demo_form(officer, program_id)
    assert fields[f"rules-{ABOVE_SIZE}-kind"] == "above_designated_size"
    fields[f"rules-{ABOVE_SIZE}-p-min_revenue"] = "30000000"
    fields["name_en"] = "Key enterprise selection"
    response = officer.post(_edit_url(program_id), data=fields)
    assert response.status_code == 302
    assert "Programme saved." in _text(officer.get("/staff/programmes"))

    [version] = _versions(app, program_id)
    assert version.number == 1
    assert version.eligibility["all"][ABOVE_SIZE] == {
        "rule": "above_designated_size",
        "params": {"min_revenue": "30000000"},
    }
    assert version.eligibility["all"][ABOVE_SIZE + 2] == {  # the alternative group is kept
        "any": [
            {"rule": "ip_class_i_at_least", "params": {"count": 1}},
            {"rule": "has_rd_institution", "params": {}},
        ]
    }
    with app.app_context():
        program = db.session.get(Program, program_id)
        assert program.name_en == "Key enterprise selection"
        assert program.current_version_number == 1
    [event] = _events(app, "program.updated")
    assert event.summary == {
        "fields": ["name_en"],
        "changes": {"name_en": ["Key above-size enterprise selection", "Key enterprise selection"]},
        "rules_changed": True,
        "version": 1,
    }


def _submit_application(app, program_id: int) -> int:
    with app.app_context():
        program = db.session.get(Program, program_id)
        version = services.current_version(program)
        enterprise_id = db.session.scalar(
            select(User.enterprise_id).where(User.email == "ent1@example.com")
        )
        application = Application(
            reference="TEST-2026-0001",
            enterprise_id=enterprise_id,
            program_id=program.id,
            program_version_id=version.id,
            status=Status.SUBMITTED,
            submission_count=1,
        )
        db.session.add(application)
        db.session.commit()
        return application.id


def test_editing_after_a_submission_writes_version_2(app, officer):
    program_id = _program_id(app, "key-above-size-2026")
    application_id = _submit_application(app, program_id)
    [first] = _versions(app, program_id)

    page = _text(officer.get(_edit_url(program_id)))
    assert "Applications have been submitted under these rules" in page
    fields = _form_fields(page)
    fields["action"] = "save"
    fields["rubric-0-weight"] = "30"
    fields["rubric-1-weight"] = "15"
    response = officer.post(_edit_url(program_id), data=fields)
    assert response.status_code == 302, _text(response)[-3000:]
    assert (
        "Programme saved. Applications already submitted keep the rules they were made under; "
        "new applications use version 2." in _text(officer.get("/staff/programmes"))
    )

    old, new = _versions(app, program_id)
    assert (old.id, old.number, new.number) == (first.id, 1, 2)
    assert old.rubric == first.rubric
    assert [c["weight"] for c in new.rubric] == [30, 15, 20, 15, 10, 10]
    assert new.eligibility == first.eligibility
    with app.app_context():
        assert db.session.get(Program, program_id).current_version_number == 2
        assert db.session.get(Application, application_id).program_version_id == first.id
    [event] = _events(app, "program.updated")
    assert event.summary["rules_changed"] is True and event.summary["version"] == 2


def test_a_details_only_edit_after_a_submission_keeps_the_version(app, officer):
    program_id = _program_id(app, "key-above-size-2026")
    _submit_application(app, program_id)
    fields = _demo_form(officer, program_id)
    fields["budget"] = "9500000"
    assert officer.post(_edit_url(program_id), data=fields).status_code == 302
    assert len(_versions(app, program_id)) == 1
    [event] = _events(app, "program.updated")
    # Old and new values, so that the audit log can show the change, not only that it happened.
    assert event.summary == {
        "fields": ["budget"],
        "changes": {"budget": ["9000000.00", "9500000"]},
        "rules_changed": False,
        "version": 1,
    }


def test_rules_nested_too_deeply_are_shown_read_only_and_kept(app, officer):
    deep = {
        "all": [
            {"rule": "not_on_risk_lists"},
            {
                "any": [
                    {"all": [{"rule": "high_tech_certificate"}, {"rule": "rd_grew"}]},
                    {"rule": "has_rd_institution"},
                ]
            },
        ]
    }
    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == "rd-post-subsidy-2026"))
        services.current_version(program).eligibility = deep
        db.session.commit()
        program_id = program.id
    page = _text(officer.get(_edit_url(program_id)))
    assert "These rules cannot be edited here" in page
    assert "Not on the abnormal-operations or serious-dishonesty list" in page
    fields = _form_fields(page)
    assert not any(name.startswith("rules-") for name in fields)
    fields["action"] = "save"
    fields["name_en"] = "R&D post-subsidy (renamed)"
    fields["rules-0-kind"] = "rd_grew"  # a forged row is ignored
    fields["rules-0-shown"] = "rd_grew"
    assert officer.post(_edit_url(program_id), data=fields).status_code == 302
    [version] = _versions(app, program_id)
    assert version.eligibility == deep
    [event] = _events(app, "program.updated")
    assert event.summary["rules_changed"] is False


def test_an_unknown_programme_is_not_found(officer):
    assert officer.get(_edit_url(9999)).status_code == 404
    assert officer.post(_edit_url(9999), data={"action": "save"}).status_code == 404


def test_changing_the_code_to_its_own_code_is_not_a_clash(app, officer):
    program_id = _program_id(app, "fluorine-digital-2026")
    fields = _demo_form(officer, program_id)
    fields["code"] = "fluorine-digital-2026-b"
    assert officer.post(_edit_url(program_id), data=fields).status_code == 302
    assert _program_id(app, "fluorine-digital-2026-b") == program_id


# --- who may -------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["ent1@example.com", "reviewer1@example.com"])
def test_enterprises_and_reviewers_are_refused(app, signed_in, email):
    client = signed_in(email)
    assert client.get(NEW_URL).status_code == 403
    assert client.post(NEW_URL, data=_new_programme()).status_code == 403
    assert client.get(_edit_url(1)).status_code == 403
    assert client.post(_edit_url(1), data={"action": "save"}).status_code == 403
    assert _program_id(app, "innovation-vouchers-2027") is None


def test_an_admin_may_create_a_programme(app, signed_in):
    client = signed_in("admin@example.com")
    assert client.post(NEW_URL, data=_new_programme()).status_code == 302
    [event] = _events(app, "program.created", _program_id(app, "innovation-vouchers-2027"))
    with app.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.email == "admin@example.com"))
    assert event.actor_id == admin_id


# --- two people editing one programme ---------------------------------------------------------


@pytest.fixture
def admin(app, demo):
    return english_client(app, "admin@example.com")


def _name_and_budget(app, program_id: int) -> tuple[str, Decimal, int]:
    with app.app_context():
        program = db.session.get(Program, program_id)
        return program.name_en, program.budget, program.lock_version


def test_a_save_over_an_edit_made_meanwhile_is_refused_then_saved_knowingly(app, officer, admin):
    program_id = _program_id(app, "key-above-size-2026")
    # Both open the editor; the admin saves first.
    officer_fields = _demo_form(officer, program_id)
    admin_fields = _demo_form(admin, program_id)
    assert officer_fields["lock_version"] == admin_fields["lock_version"] == "1"
    admin_fields["budget"] = "12000000"
    assert admin.post(_edit_url(program_id), data=admin_fields).status_code == 302
    assert _name_and_budget(app, program_id)[1:] == (Decimal("12000000.00"), 2)

    # The officer's save, from the page drawn before: refused, nothing written, what was
    # typed kept, and who saved meanwhile named.
    officer_fields["name_en"] = "Key enterprise selection (revised)"
    officer_fields[f"rules-{ABOVE_SIZE}-p-min_revenue"] = "30000000"
    response = officer.post(_edit_url(program_id), data=officer_fields)
    assert response.status_code == 422
    page = _text(response)
    assert "saved this programme at" in page and "Nothing of yours has been saved" in page
    with app.app_context():
        admin_name = db.session.scalar(
            select(User.display_name).where(User.email == "admin@example.com")
        )
    assert admin_name in page
    assert _name_and_budget(app, program_id) == (
        "Key above-size enterprise selection",
        Decimal("12000000.00"),
        2,
    )
    assert len(_events(app, "program.updated", program_id)) == 1
    redrawn = _form_fields(page)
    assert redrawn["name_en"] == "Key enterprise selection (revised)"
    assert redrawn[f"rules-{ABOVE_SIZE}-p-min_revenue"] == "30000000"
    # The redrawn page carries the version now current: Save again saves over the edit.
    assert redrawn["lock_version"] == "2"
    redrawn["action"] = "save"
    assert officer.post(_edit_url(program_id), data=redrawn).status_code == 302
    # The page had the old budget in it: saving it over the admin's edit is now knowing.
    assert _name_and_budget(app, program_id) == (
        "Key enterprise selection (revised)",
        Decimal("9000000.00"),
        3,
    )


def test_redrawing_the_editor_keeps_the_version_it_was_opened_at(app, officer, admin):
    program_id = _program_id(app, "key-above-size-2026")
    fields = _demo_form(officer, program_id)
    other = _demo_form(admin, program_id)
    other["name_en"] = "Renamed by the admin"
    assert admin.post(_edit_url(program_id), data=other).status_code == 302

    # Redrawing (Enter in a field, adding a row) keeps the version the officer first saw,
    # not the newer one, so the save after it is still refused.
    fields["action"] = "refresh"
    fields["summary_en"] = "Typed before the redraw."
    redrawn = _form_fields(_text(officer.post(_edit_url(program_id), data=fields)))
    assert redrawn["lock_version"] == "1"
    assert redrawn["summary_en"] == "Typed before the redraw."
    redrawn["action"] = "save"
    response = officer.post(_edit_url(program_id), data=redrawn)
    assert response.status_code == 422
    assert "Nothing of yours has been saved" in _text(response)
    assert _name_and_budget(app, program_id)[0] == "Renamed by the admin"


def test_a_save_with_no_change_raises_no_version(app, officer):
    program_id = _program_id(app, "key-above-size-2026")
    assert (
        officer.post(_edit_url(program_id), data=_demo_form(officer, program_id)).status_code == 302
    )
    assert _name_and_budget(app, program_id)[2] == 1
    # ... so a second tab opened before it still saves.
    assert (
        officer.post(_edit_url(program_id), data=_demo_form(officer, program_id)).status_code == 302
    )
