"""The letters' background jobs: issue due letters after a decision becomes final, and build a
programme's export. Both are safe to run again (a retry issues nothing twice)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from portal.accounts.models import User
from portal.applications.models import Application
from portal.core.extensions import db
from portal.core.jobs import batch_after_commit, commit, job


def schedule_letter(application: Application, actor: Any) -> None:
    """Lifecycle listener: the decision is final, so its letter is due once this commits."""
    batch_after_commit("issue_letters", application.id, getattr(actor, "id", None))


@job
def issue_letters(application_ids: list[int], actor_id: int | None = None) -> int:
    from portal.letters.issuing import ISSUE_CHUNK, issue_due_letters

    actor = db.session.get(User, actor_id) if actor_id else None
    workers = current_app.config["LETTER_WORKERS"]
    issued = 0
    ids = sorted(set(application_ids))
    for start in range(0, len(ids), ISSUE_CHUNK):
        try:
            issued += len(
                issue_due_letters(ids[start : start + ISSUE_CHUNK], actor=actor, workers=workers)
            )
            commit()
        except BaseException:
            db.session.rollback()
            raise
    return issued


@job
def export_letters(export_id: int) -> None:
    from portal.letters.export import run_export

    run_export(export_id, workers=current_app.config["LETTER_WORKERS"])
