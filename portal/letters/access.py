"""Loading letters and exports for the person asking: 404 for what is not theirs."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from portal.core.extensions import db
from portal.letters.models import Letter, LetterExport
from portal.review.access import can_see_application


def letter_or_404(letter_id: int) -> Letter:
    letter = db.session.get(Letter, letter_id)
    if letter is None or not can_see_application(current_user, letter.application):
        abort(404)
    return letter


def export_or_404(export_id: int) -> LetterExport:
    export = db.session.get(LetterExport, export_id)
    if export is None:
        abort(404)
    return export
