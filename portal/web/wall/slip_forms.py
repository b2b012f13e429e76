"""The forms of a supervision slip: issuing one, signing for it, answering with evidence, and the
supervisor's review; and the evidence files, checked in the sandbox like every upload."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from portal.tasks import slips
from portal.tasks.models import SlipColour
from portal.web.shared import evidence_files

FILES_HINT = _l(
    "Up to %(count)d files, PDF or images (JPEG, PNG), 10 MB each.", count=slips.FILES_MAX
)
CLOSE = "close"
SEND_BACK = "send_back"


class IssueForm(FlaskForm):
    task_id = SelectField(
        _l("Key task"),
        coerce=str,
        validators=[DataRequired(_l("Choose the task the slip is about."))],
    )
    colour = RadioField(
        _l("Colour"),
        choices=[SelectChoice(c.value, c.label) for c in SlipColour],
        validators=[InputRequired(_l("Choose the slip's colour."))],
    )
    reason = TextAreaField(
        _l("Reason"),
        description=_l("What is wrong: behind schedule, a milestone missed, poor quality."),
        validators=[
            DataRequired(_l("Give the reason for the slip: the task's people read it.")),
            Length(max=slips.TEXT_MAX),
        ],
        render_kw={"rows": 4},
    )
    requirements = TextAreaField(
        _l("Requirements"),
        description=_l("What the department must do by the deadline (optional)."),
        validators=[Length(max=slips.TEXT_MAX)],
        render_kw={"rows": 4},
    )
    deadline = DateField(
        _l("Deadline"),
        description=_l("A day after today, by which the answer is due."),
        validators=[InputRequired(_l("Enter the deadline."))],
        render_kw={"type": "date"},
    )


class SignForm(FlaskForm):
    lock_version = HiddenField()


class AnswerForm(FlaskForm):
    progress = TextAreaField(
        _l("Progress made"),
        description=_l("What was done about the slip's requirements, with figures and dates."),
        validators=[
            DataRequired(_l("Describe the progress made: the supervisor reviews it.")),
            Length(max=slips.TEXT_MAX),
        ],
        render_kw={"rows": 5},
    )
    files = MultipleFileField(
        _l("Evidence"), description=FILES_HINT, render_kw={"accept": ".pdf,.jpg,.jpeg,.png"}
    )
    lock_version = HiddenField()


class ReviewForm(FlaskForm):
    decision = RadioField(
        _l("Review decision"),
        choices=[
            SelectChoice(CLOSE, _l("Close the slip (办结): the answer is enough")),
            SelectChoice(SEND_BACK, _l("Send it back (退回): the department answers again")),
        ],
        validators=[InputRequired(_l("Choose whether to close the slip or send it back."))],
    )
    note = TextAreaField(
        _l("Note"),
        description=_l("Required when you send it back: say what is missing."),
        validators=[Length(max=slips.TEXT_MAX)],
        render_kw={"rows": 3},
    )
    lock_version = HiddenField()


def version_of(form: FlaskForm) -> int | None:
    try:
        return int(form.lock_version.data) if form.lock_version.data else None
    except (TypeError, ValueError):
        return None


def checked_files(field: MultipleFileField) -> list[slips.CheckedFile]:
    """The answer's evidence files, checked (``SlipRefused`` when too many)."""
    return evidence_files.checked_files(
        field,
        kinds=slips.FILE_KINDS,
        max_bytes=slips.FILE_MAX_BYTES,
        max_files=slips.FILES_MAX,
        too_many=slips.SlipRefused,
    )
