"""Issuing letters in the background once a decision becomes final (a retry issues nothing
twice). The export's job is beside the export (export.py)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from portal.accounts.models import User
from portal.applications.models import Application
from portal.core.extensions import db
from portal.core.jobs import batch_after_commit, commit, job
from portal.letters import issuing


def schedule_letter(application: Application, actor: Any) -> None:
    """Lifecycle listener: the decision is final, so its letter is due once this commits."""
    batch_after_commit(issue_letters, application.id, getattr(actor, "id", None))


@job
def issue_letters(application_ids: list[int], actor_id: int | None = None) -> int:
    actor = db.session.get(User, actor_id) if actor_id else None
    workers = current_app.config["LETTER_WORKERS"]
    issued = 0
    ids = sorted(set(application_ids))
    for start in range(0, len(ids), issuing.ISSUE_CHUNK):
        try:
            batch = ids[start : start + issuing.ISSUE_CHUNK]
            issued += len(issuing.issue_due_letters(batch, actor=actor, workers=workers))
            commit()
        except BaseException:
            db.session.rollback()
            raise
    return issued
