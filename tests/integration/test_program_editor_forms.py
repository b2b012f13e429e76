"""The programme editor's rows as WTForms forms: the names the page posts, rows renumbered when
one goes, empty rows ignored, problems beside the right input, what was typed shown again."""

from __future__ import annotations

import pytest
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from portal.programs.formulas import FORMULA_KINDS
from portal.web.admin.program_editor_data import ProgramEditor
from portal.web.admin.program_editor_forms import ProgramRowsForm
from portal.web.admin.program_editor_presenters import editor_view
from portal.web.admin.program_params import ParamsInput


@pytest.fixture
def request_ctx(app):
    with app.test_request_context("/"):
        yield


def _rows(**fields: str) -> MultiDict:
    return MultiDict({name.replace("__", "-"): value for name, value in fields.items()})


def test_rows_take_the_names_the_page_posts(request_ctx):
    form = ProgramRowsForm(
        _rows(
            rules__0__kind="rd_last_year_at_least",
            rules__0__shown="rd_last_year_at_least",
            rules__0__p__amount="600000",
            formula__kind="ranked_tiers",
            formula__shown="ranked_tiers",
            formula__p__tiers__0__count="5",
            documents__0__key="plan",
            rubric__0__key="market",
        )
    )
    [rule] = form.rules
    assert (rule.kind.name, rule.group.name, rule.shown.name) == (
        "rules-0-kind",
        "rules-0-group",
        "rules-0-shown",
    )
    assert rule.form.params.form["amount"].name == "rules-0-p-amount"
    assert rule.form.params.texts["amount"] == "600000"
    assert form.formula.kind.name == "formula-kind"
    assert form.formula.form.params.texts["tiers"] == [["5", ""]]
    assert form.documents[0].form.key.name == "documents-0-key"
    assert form.rubric[0].form.key.name == "rubric-0-key"


def test_removing_a_rule_renumbers_the_rows_and_their_parameters(request_ctx):
    formdata = _rows(
        rules__0__kind="registered_in_region",
        rules__0__shown="registered_in_region",
        rules__0__p__prefix="2109",
        rules__1__kind="rd_last_year_at_least",
        rules__1__shown="rd_last_year_at_least",
        rules__1__p__amount="777777",
        rules__1__group=" b ",
    )
    editor = ProgramEditor.from_form(formdata, None)
    editor.apply("remove_rule:0")
    [rule] = editor.rules
    assert rule.kind.name == "rules-0-kind"
    assert rule.group._value() == " b "  # shown again as typed
    assert rule.letter == "B"
    assert rule.params.form["amount"].name == "rules-0-p-amount"
    assert rule.params.texts["amount"] == "777777"


def test_a_pair_removed_moves_the_next_up(request_ctx):
    params = ParamsInput.from_stored(
        "formula-p", FORMULA_KINDS["ranked_tiers"], {"tiers": [[5, "300000"], [10, "1000"]]}
    )
    assert params.change_pairs("remove_pair:formula-p-tiers:0")
    [entry] = params.form["tiers"]
    assert entry.form.count.name == "formula-p-tiers-0-count"
    assert params.texts["tiers"] == [["10", "1000"]]
    assert params.change_pairs("add_pair:formula-p-tiers")
    assert params.form["tiers"][1].form.amount.name == "formula-p-tiers-1-amount"
    assert not params.change_pairs("add_pair:formula-p-level_caps")


def test_empty_rows_are_ignored_and_problems_sit_beside_their_input(request_ctx):
    formdata = _rows(
        rules__0__kind="has_rd_institution",
        rules__0__shown="has_rd_institution",
        rules__1__kind="",
        rules__1__group="",
        formula__kind="",
        documents__0__key="plan",
        documents__0__name_zh="计划",
        documents__0__name_en="Plan",
        documents__0__max_mb="10",
        documents__1__key="plan",
        documents__1__name_zh="计划",
        documents__1__name_en="Plan again",
        documents__1__max_mb="10",
        documents__2__key=" ",
        rubric__0__key="market",
        rubric__0__name_zh="市场",
        rubric__0__name_en="Market",
        rubric__0__weight="100",
        rubric__0__scale_max="5",
        rubric__0__minimum="6",
    )
    formdata.add("documents-0-kinds", "pdf")
    formdata.add("documents-1-kinds", "pdf")
    editor = ProgramEditor.from_form(formdata, None)
    assert editor.build(None) is None
    first, second, empty = editor.documents
    assert not first.errors
    assert second.errors == {"key": [str(_l("Two documents have the same key."))]}
    assert empty.blank and not empty.errors
    [criterion] = editor.rubric
    assert list(criterion.errors) == ["minimum"]
    assert not editor.rules[1].errors  # the empty rule
    assert editor.formula.kind.errors == [str(_l("Choose a formula."))]

    view = editor_view(editor)
    assert [problem["href"] for problem in view["problems"]] == [
        "#formula-kind",
        "#documents-1-key",
        "#rubric-0-minimum",
    ]
    assert view["documents"][2]["cells"][0]["value"] == " "


def test_a_row_added_starts_from_the_usual_values(request_ctx):
    editor = ProgramEditor.from_version(None)
    editor.apply("add_document")
    editor.apply("add_criterion")
    [document], [criterion] = editor.documents, editor.rubric
    assert (document.kinds.data, document.max_mb.data, document.required.data) == (
        ["pdf"],
        "10",
        True,
    )
    assert document.key.name == "documents-0-key"
    assert criterion.scale_max.data == "10"
    assert len(editor.rules) == 1 and editor.rules[0].blank
