"""At most one mail of a kind per address per few minutes, counted in the database.

The claim is one conditional UPDATE, so two requests at once (in one process or several) cannot
both win: the database lets one change the row and the other finds nothing to change.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from flask import current_app
from sqlalchemy import CursorResult, or_, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts.models import User
from portal.core.extensions import db

MailKind = Literal["reset", "registration"]

_COLUMNS = {
    "reset": User.reset_mail_sent_at,
    "registration": User.registration_mail_sent_at,
}


def interval() -> timedelta:
    return timedelta(minutes=current_app.config["ACCOUNT_MAIL_INTERVAL_MINUTES"])


def claim_mail_slot(user: User, kind: MailKind, now: datetime) -> bool:
    """True (and the slot taken) when no mail of this kind went to the user's address within
    the interval; False when one did, and then nothing is to be sent."""
    column = _COLUMNS[kind]
    result: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        update(User)
        .where(User.id == user.id, or_(column.is_(None), column <= now - interval()))
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    # Known to the loaded object too, without marking it changed.
    set_committed_value(user, column.key, now)
    return True
