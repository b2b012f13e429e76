"""The firm's acceptance (验收) notices: what its application page shows of the acceptance of
its award, and the notice's download (its own enterprise's only; another's is a 404)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort
from flask_login import current_user

from portal.core.access import ENTERPRISE, allow
from portal.core.extensions import db
from portal.core.files import send_stored_file
from portal.payments import acceptance_queries
from portal.payments.acceptance_models import AcceptanceStatus
from portal.payments.models import DocumentKind, PostAwardDocument

bp = Blueprint("firm_acceptance", __name__, url_prefix="/acceptance")


def firm_view(application_id: int) -> dict[str, Any] | None:
    """The firm's panel of its award's acceptance: its rounds with issued notices (outcome,
    deadline, notice), and whether a round is under way; None when there has been none. The
    experts and their conclusions are never shown."""
    rounds = acceptance_queries.firm_rounds(application_id)
    if not rounds:
        return None
    return {
        "notices": [
            {"review": review, "document": document}
            for review, document in rounds
            if document is not None
        ],
        "under_way": any(
            review.status is AcceptanceStatus.PANEL_FORMED or review.document_id is None
            for review, _document in rounds
        ),
    }


@bp.route("/notices/<int:document_id>/<any(zh, en):lang>.pdf")
@allow(ENTERPRISE)
def notice(document_id: int, lang: str):
    document = db.session.get(PostAwardDocument, document_id)
    if (
        document is None
        or document.kind is not DocumentKind.ACCEPTANCE_NOTICE
        or document.enterprise_id != current_user.enterprise_id
    ):
        abort(404)
    key = document.pdf_en_key if lang == "en" else document.pdf_key
    suffix = "-en" if lang == "en" else ""
    return send_stored_file(
        key, mimetype="application/pdf", download_name=f"{document.number}{suffix}.pdf"
    )
