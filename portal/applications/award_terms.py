"""The one set of words for where an award stands, used by pages, mails, exports and the
dashboard alike.

An approval is *proposed* (拟予支持) once recorded and until it is released; released, it is
*in publicity* (公示中) while the public may object; it is *final* (已确定) when the publicity
period ends without an upheld objection, and only then "approved"; *paid* (已拨付) comes with
the payments of a later issue. An award on hold after an objection is still in publicity: it
is not final and may yet be withdrawn.
"""

from __future__ import annotations

from datetime import date

from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.applications.models import Status
from portal.core.labels import LabelledEnum


class AwardTerm(LabelledEnum):
    PROPOSED = "proposed", _l("Proposed award")
    IN_PUBLICITY = "in_publicity", _l("In publicity")
    FINAL = "final", _l("Final")
    PAID = "paid", _l("Paid")  # the payments issue will use it: defined now so words agree


# Released awards not yet final: the publicity period runs (or is paused by an objection).
IN_PUBLICITY_STATUSES = frozenset({Status.PUBLICITY, Status.ON_HOLD})
FINAL_STATUSES = frozenset({Status.AWARDED})


def award_term(status: Status, decision: str | None) -> AwardTerm | None:
    """Where an approval stands; None for an application with no approval (yet)."""
    if status in FINAL_STATUSES:
        return AwardTerm.FINAL
    if status in IN_PUBLICITY_STATUSES:
        return AwardTerm.IN_PUBLICITY
    if status is Status.DECIDED and decision == "approve":
        return AwardTerm.PROPOSED
    return None


def short_day(day: date) -> str:
    """A publicity end day as people write it: 12月9日, 9 December."""
    chinese = str(get_locale() or "zh").startswith("zh")
    return format_date(day, "M月d日" if chinese else "d MMMM")


def proposed_until(day: date) -> str:
    """What the firm reads while its award is in publicity: 拟予支持（公示至12月9日）."""
    return _("Proposed award (in publicity until %(date)s)", date=short_day(day))
