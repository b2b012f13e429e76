"""Public pages of the publicity period (公示): the list of awards and signed objections."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from portal.applications.models import Application
from portal.core.access import PUBLIC, allow
from portal.core.domain import DomainError
from portal.core.extensions import db, limiter
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.pagination import page_arg
from portal.review import publicity
from portal.web.public.publicity_forms import ObjectionForm

bp = Blueprint("publicity", __name__, url_prefix="/publicity")

OBJECTION_RATE_LIMIT = "10 per hour"


@bp.route("")
@allow(PUBLIC)
def index():
    page, groups = publicity.public_list(select_locale(), page_arg())
    return render_template("publicity/index.html", page=page, groups=groups)


def _award_open_for_objection_or_404(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not publicity.open_for_objection(application):
        abort(404)
    return application


@bp.route("/<int:application_id>/object", methods=["GET", "POST"], endpoint="object")
@allow(PUBLIC)
@limiter.limit(OBJECTION_RATE_LIMIT, methods=["POST"])
def raise_objection(application_id: int):
    application = _award_open_for_objection_or_404(application_id)
    award = publicity.public_row(application, select_locale())
    form = ObjectionForm()
    if form.validate_on_submit():
        try:
            publicity.raise_objection(
                application,
                publicity.ObjectionInput(form.name.data, form.contact.data, form.reason.data),
                ip_address=request.remote_addr,
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            return render_template("publicity/objection_received.html", award=award)
    status = INVALID_FORM_STATUS if request.method == "POST" else 200
    return render_template("publicity/object.html", award=award, form=form), status
