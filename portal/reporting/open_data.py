"""Final awards as open data, shaped after the 360Giving Data Standard.

The file is a 360Giving data package: ``{"grants": [...]}``, one grant per final award, with
the standard's required fields (id, title, description, currency, amountAwarded, awardDate,
recipientOrganization, fundingOrganization) plus grantProgramme, dateModified and
amountDisbursed: what has been paid of the award (the tranches finance confirmed as paid), as
the standard defines it, "the total amount disbursed (paid) to this grantee when this record
was last updated". The standard's plannedDates and actualDates describe the funded activity's
period, not payments, so they are left out rather than filled with payment days.

Only what the bureau already publishes is put in: the programme, the enterprise and its
unified social credit code, the amount and the date. Firms' project titles and summaries were
written for the bureau, not for publication, and stay out.

Identifiers:
- a grant: ``<OPEN_DATA_PREFIX>-<application reference>`` (360Giving's "360G-" prefix scheme);
- a recipient: ``CN-SAIC-<USCC>``. The org-id.guide list (which 360Giving uses) registers
  China's enterprise register as CN-SAIC; enterprises' registration numbers there are their
  unified social credit codes since 2015;
- the funder: ``OPEN_DATA_FUNDER_ID`` when configured, else the publisher prefix itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from portal.core.timeutil import to_bureau_time

DEFAULT_PREFIX = "360G-fuxinkj"
CURRENCY = "CNY"
RECIPIENT_SCHEME = "CN-SAIC"


def grant_id(prefix: str, reference: str) -> str:
    return f"{prefix}-{reference}"


def recipient_id(uscc: str) -> str:
    return f"{RECIPIENT_SCHEME}-{uscc}"


def _bureau_date(value: datetime) -> str:
    return to_bureau_time(value).date().isoformat()


def _bureau_datetime(value: datetime) -> str:
    return to_bureau_time(value).isoformat(timespec="seconds")


def grant(
    row: Mapping[str, Any], *, prefix: str, funder: Mapping[str, str], base_url: str
) -> dict[str, Any]:
    """One 360Giving grant from an award row (portal.reporting.exports.award_rows)."""
    # The date the award became final; rows written before that was recorded (or by hand)
    # may lack it: fall back to the release, the decision, the last change.
    awarded = row["awarded_at"] or row["released_at"] or row["decided_at"] or row["updated_at"]
    programme = {"code": row["program_code"], "title": row["program_name"]}
    if base_url:
        programme["url"] = f"{base_url.rstrip('/')}/programmes/{row['program_code']}"
    modified = row["updated_at"]
    paid_recorded = row.get("paid_recorded_at")
    if paid_recorded is not None and paid_recorded > modified:
        modified = paid_recorded
    return {
        "id": grant_id(prefix, row["reference"]),
        "title": f"{row['program_name']}：{row['enterprise_name']}",
        "description": row["program_summary"] or row["program_name"],
        "currency": CURRENCY,
        "amountAwarded": row["decided_amount"],
        "amountDisbursed": row.get("disbursed") or Decimal("0.00"),
        "awardDate": _bureau_date(awarded),
        "recipientOrganization": [
            {"id": recipient_id(row["uscc"]), "name": row["enterprise_name"]}
        ],
        "fundingOrganization": [dict(funder)],
        "grantProgramme": [programme],
        "dateModified": _bureau_datetime(modified),
    }


def grants_package(
    rows: Iterable[Mapping[str, Any]],
    *,
    prefix: str,
    funder_id: str,
    funder_name: str,
    base_url: str = "",
) -> dict[str, Any]:
    funder = {"id": funder_id, "name": funder_name}
    return {"grants": [grant(row, prefix=prefix, funder=funder, base_url=base_url) for row in rows]}
