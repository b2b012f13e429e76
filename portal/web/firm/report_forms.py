"""The firm's report form: figures (amounts in yuan, whole counts), the text, and the upload."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from portal.core.forms import MoneyField
from portal.payments.reports import ReportFigures

NARRATIVE_MAX = 10_000
COUNT_MAX = 1_000_000


def _count(label, description=None) -> IntegerField:
    return IntegerField(
        label,
        description=description,
        validators=[
            Optional(),
            NumberRange(min=0, max=COUNT_MAX, message=_l("Give a whole number from 0.")),
        ],
        render_kw={"inputmode": "numeric"},
    )


class ReportForm(FlaskForm):
    version = HiddenField()
    rd_spend = MoneyField(
        _l("Actual R&D spend (yuan)"),
        description=_l("Spent on the project's research and development in the period."),
        validators=[Optional()],
    )
    revenue = MoneyField(
        _l("Revenue (yuan)"),
        description=_l("Revenue from the project's products or services in the period."),
        validators=[Optional()],
    )
    patents_filed = _count(_l("Patents filed"))
    patents_granted = _count(_l("Patents granted"))
    jobs_created = _count(_l("Jobs created"))
    narrative = TextAreaField(
        _l("Progress"),
        description=_l("What was done, what was achieved, problems met and what comes next."),
        validators=[Length(max=NARRATIVE_MAX)],
        render_kw={"rows": 8},
    )

    def seen_version(self) -> int | None:
        try:
            return int(self.version.data) if self.version.data else None
        except (TypeError, ValueError):
            return None

    def figures(self) -> ReportFigures:
        return ReportFigures(
            rd_spend=self.rd_spend.data,
            revenue=self.revenue.data,
            patents_filed=self.patents_filed.data,
            patents_granted=self.patents_granted.data,
            jobs_created=self.jobs_created.data,
            narrative=self.narrative.data or "",
        )

    def fill(self, report) -> None:
        for name in ("rd_spend", "revenue", "patents_filed", "patents_granted", "jobs_created"):
            getattr(self, name).data = getattr(report, name)
        self.narrative.data = report.narrative
        self.version.data = str(report.lock_version)


class FileForm(FlaskForm):
    file = FileField(_l("File"))


class RemoveFileForm(FlaskForm):
    pass
