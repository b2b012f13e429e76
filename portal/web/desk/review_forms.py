"""Officers' review forms: reviewer profiles, assigning, reopening, moderating.

Also the labels the officers' review pages show for assignment states and decline reasons.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import DateInput, TextInput

from portal.accounts.uscc import check_uscc
from portal.core.timeutil import bureau_today
from portal.web.shared.forms import uscc_problem

DEFAULT_DUE_DAYS = 14
MAX_DUE_DAYS = 366
MAX_TAGS = 30
MAX_TAG_LENGTH = 40
MAX_LINKED_USCCS = 50


_TAG_SEPARATORS = re.compile(r"[\n\r,，、;；]+")


def default_due_date() -> date:
    return bureau_today() + timedelta(days=DEFAULT_DUE_DAYS)


def split_tags(text: str) -> list[str]:
    """Expertise tags from text separated by commas or lines; blanks and repeats dropped."""
    tags: list[str] = []
    seen: set[str] = set()
    for raw in _TAG_SEPARATORS.split(text or ""):
        tag = " ".join(raw.split())
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags


class DueDateField(Field):
    """A date (YYYY-MM-DD) in the bureau's calendar; the review is due at the end of that day."""

    widget = DateInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            return
        try:
            self.data = date.fromisoformat(text)
        except ValueError:
            raise ValueError(str(_l("Enter a date like 2026-05-31."))) from None


def _due_date_in_range(_form, field) -> None:
    today = bureau_today()
    if field.data is None:
        raise ValidationError(str(_l("Enter the date by which the review is due.")))
    if field.data < today:
        raise ValidationError(str(_l("The due date cannot be in the past.")))
    if field.data > today + timedelta(days=MAX_DUE_DAYS):
        raise ValidationError(str(_l("The due date must be within a year from today.")))


def _due_date_field() -> DueDateField:
    return DueDateField(
        _l("Due date"),
        validators=[_due_date_in_range],
        default=default_due_date,
        description=_l("The review is due at the end of this day (China Standard Time)."),
    )


class ReviewerProfileForm(FlaskForm):
    expertise = TextAreaField(
        _l("Expertise areas"),
        validators=[Length(max=2000)],
        description=_l("Separate the areas with commas or put one on each line."),
        render_kw={"rows": 4},
    )
    linked_usccs = TextAreaField(
        _l("Linked enterprises (unified social credit codes)"),
        validators=[Length(max=MAX_LINKED_USCCS * 30)],
        description=_l(
            "One code on each line: enterprises the reviewer works for, advises or owns. "
            "The reviewer is never assigned to their applications."
        ),
        render_kw={"rows": 5, "class": "mono"},
    )

    def validate_expertise(self, field) -> None:
        tags = split_tags(field.data)
        if len(tags) > MAX_TAGS:
            raise ValidationError(str(_l("Give at most %(max)d expertise areas.", max=MAX_TAGS)))
        for tag in tags:
            if len(tag) > MAX_TAG_LENGTH:
                raise ValidationError(
                    str(
                        _l(
                            "“%(tag)s” is too long: an expertise area has at most %(max)d "
                            "characters.",
                            tag=tag[:MAX_TAG_LENGTH] + "…",
                            max=MAX_TAG_LENGTH,
                        )
                    )
                )
        self.expertise_tags = tags

    def validate_linked_usccs(self, field) -> None:
        codes: list[str] = []
        problems: list[str] = []
        for number, line in enumerate((field.data or "").splitlines(), start=1):
            if not line.strip():
                continue
            result = check_uscc(line)
            if not result.ok:
                problems.append(
                    str(
                        _l(
                            "Line %(line)d (“%(text)s”): %(problem)s",
                            line=number,
                            text=line.strip(),
                            problem=uscc_problem(result),
                        )
                    )
                )
            elif result.code not in codes:
                codes.append(result.code)
        if problems:
            # One message per bad line, each naming its line.
            field.errors.extend(problems)
            return
        if len(codes) > MAX_LINKED_USCCS:
            raise ValidationError(str(_l("Give at most %(max)d codes.", max=MAX_LINKED_USCCS)))
        self.linked_codes = codes


MAX_POSTED_IDS = 500  # more ticked boxes than any page shows: a crafted request


def _is_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) < 10


class IdListField(Field):
    """Account or application ids ticked in a list (the template renders the boxes). ``data``
    is the distinct ids in the order posted (anything else is dropped); ``garbled`` says more
    were posted than any page offers."""

    def process_formdata(self, valuelist: list[str]) -> None:
        texts = [text.strip() for text in valuelist[:MAX_POSTED_IDS]]
        self.garbled = len(valuelist) > MAX_POSTED_IDS
        self.data = list(dict.fromkeys(int(text) for text in texts if _is_id(text)))

    def _value(self) -> str:
        return ""


class AssignForm(FlaskForm):
    reviewer_id = IdListField(_l("Reviewers"))
    due_on = _due_date_field()
    # The application's assignments as the page showed them (see assignments_fingerprint).
    shown = HiddenField()

    def validate_reviewer_id(self, field) -> None:
        # Anything that is not an id, posted by hand, is the same mistake as choosing nobody.
        if getattr(field, "garbled", False):
            raise ValidationError(str(_l("Choose one of the listed reviewers.")))
        if not field.data:
            raise ValidationError(str(_l("Choose a reviewer.")))

    @property
    def chosen(self) -> list[int]:
        return list(self.reviewer_id.data or [])


class AutoAssignForm(FlaskForm):
    due_on = _due_date_field()


class BulkAutoAssignForm(AutoAssignForm):
    """Assigning automatically, either to every application of the programme that lacks
    reviewers or to the ones ticked on the page (the service checks the choice)."""

    application_id = IdListField(_l("Applications"))

    def validate_application_id(self, field) -> None:
        if getattr(field, "garbled", False):
            raise ValidationError(
                str(_l("Choose among the applications of this programme listed on the page."))
            )

    @property
    def chosen(self) -> list[int]:
        return list(self.application_id.data or [])


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        _l("Why reopen this review?"),
        validators=[
            DataRequired(_l("Say why the review is reopened: the reviewer reads it.")),
            Length(max=2000),
        ],
        render_kw={"rows": 3},
    )


class ScoreField(Field):
    """A score from 0 to 100 with at most two decimals; ``data`` is a Decimal."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:.2f}"

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        text = (valuelist[0] if valuelist else "").strip().replace("，", ".")
        if not text:
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(str(_l("Enter a number from 0 to 100, e.g. 72.50."))) from None
        if not value.is_finite() or not 0 <= value <= 100:
            raise ValueError(str(_l("Enter a number from 0 to 100, e.g. 72.50.")))
        if value != value.quantize(Decimal("0.01")):
            raise ValueError(str(_l("Give the score with at most two decimals.")))
        self.data = value.quantize(Decimal("0.01"))


class ModerationScoreForm(FlaskForm):
    score = ScoreField(
        _l("Moderator's score (0–100)"),
        description=_l("This score replaces the reviewers' mean as the final score."),
        render_kw={"inputmode": "decimal"},
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Explain the moderator's score in writing.")),
            Length(max=4000),
        ],
        description=_l("Kept on record with the score; say why the reviewers' scores differ."),
        render_kw={"rows": 5},
    )

    def validate_score(self, field) -> None:
        if field.data is None and not field.errors:
            raise ValidationError(str(_l("Enter the moderator's score.")))
