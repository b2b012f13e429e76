"""The reviewer's forms: a scoring form built from the programme version's rubric, and the
decline form."""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from portal.review.models import DeclineReason
from portal.review.score_sheet import (
    COMMENT_MAX,
    Scores,
    comment_field,
    format_score,
    is_valid_score,
    score_field,
    score_range_message,
)
from portal.review.scoring import NOTE_MAX

ACTIONS = ("draft", "submit", "submit_next", "edit")


def parse_score(text: str | None) -> Decimal | None:
    """A typed score as a Decimal (None when empty). Full-width digits and a full-width point
    (as typed with a Chinese input method) are accepted. ValueError when it is not a number."""
    text = unicodedata.normalize("NFKC", text or "").strip().replace("。", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


class ScoreValue:
    """Empty, or a whole or half point from 0 to the criterion's maximum."""

    def __init__(self, scale_max: Decimal) -> None:
        self.scale_max = scale_max

    def __call__(self, form, field) -> None:
        try:
            value = parse_score(field.data)
        except ValueError:
            raise ValidationError(str(score_range_message(self.scale_max))) from None
        if value is not None and not is_valid_score(value, self.scale_max):
            raise ValidationError(str(score_range_message(self.scale_max)))


class ScoreFormBase(FlaskForm):
    """Fields are added per criterion by ``score_form``: score__<key> and comment__<key>."""

    criteria: list[dict[str, Any]] = []

    def typed_scores(self) -> Scores:
        """What is typed, as far as it reads as numbers (for the running total of a page shown
        again with errors): an unreadable score counts as empty."""
        result: Scores = {}
        for criterion in self.criteria:
            try:
                score = parse_score(self[criterion["score_field"]].data)
            except ValueError:
                score = None
            result[criterion["key"]] = (score, self[criterion["comment_field"]].data or "")
        return result

    def scores(self) -> Scores:
        """The typed scores (call after validation: every score parses)."""
        result: Scores = {}
        for criterion in self.criteria:
            score = parse_score(self[criterion["score_field"]].data)
            result[criterion["key"]] = (score, self[criterion["comment_field"]].data or "")
        return result


def score_form(criteria: list[dict[str, Any]], saved: Scores | None = None) -> ScoreFormBase:
    """A form for ``criteria`` (from ``score_sheet.rubric_view``), filled from ``saved`` on GET;
    a POST's typed values win over it."""
    fields: dict[str, Any] = {"criteria": criteria}
    for criterion in criteria:
        fields[score_field(criterion["key"])] = StringField(
            _l("Score"),
            validators=[ScoreValue(criterion["scale_max"])],
            render_kw={"inputmode": "decimal", "autocomplete": "off"},
        )
        fields[comment_field(criterion["key"])] = TextAreaField(
            _l("Comment"),
            validators=[
                Length(
                    max=COMMENT_MAX,
                    message=_l("Keep the comment to %(max)d characters or fewer.", max=COMMENT_MAX),
                )
            ],
            render_kw={"rows": 3},
        )
    form_class = type("ScoreForm", (ScoreFormBase,), fields)
    data = {}
    for key, (score, comment) in (saved or {}).items():
        data[score_field(key)] = format_score(score)
        data[comment_field(key)] = comment
    return form_class(data=data)


class DeclineForm(FlaskForm):
    reason = RadioField(
        _l("Why do you decline?"),
        choices=[SelectChoice(reason.value, reason.label) for reason in DeclineReason],
        validators=[InputRequired(_l("Choose why you decline."))],
    )
    note = TextAreaField(
        _l("Note for the bureau"),
        description=_l(
            "Required for a conflict of interest: say how you are linked to the enterprise. "
            "You will not be assigned to this enterprise again."
        ),
        validators=[
            Length(
                max=NOTE_MAX,
                message=_l("Keep the note to %(max)d characters or fewer.", max=NOTE_MAX),
            )
        ],
        render_kw={"rows": 3},
    )
