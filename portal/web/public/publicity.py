"""Public pages of the publicity period (公示): the list of awards and its printable notices,
signed objections (an account, or a name and an address confirmed by a one-time code) with
evidence, and the objector's view of its handling.

The two jobs at the end send what the objector receives (the code; the link to follow the
objection): they need both the publicity domain and the mail, which only this layer sees.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal.applications.models import Application
from portal.core.access import PUBLIC, allow
from portal.core.database import keep_changes_on_refusal
from portal.core.domain import DomainError
from portal.core.extensions import db, limiter
from portal.core.files import send_stored_file
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.sandbox import SandboxLimits, check_in_sandbox
from portal.core.uploads import UploadRejected
from portal.review import objector_identity, publicity
from portal.review.models import Objection
from portal.web.public.publicity_forms import CodeForm, IdentityForm, ObjectionForm

bp = Blueprint("publicity", __name__, url_prefix="/publicity")

OBJECTION_RATE_LIMIT = "10 per hour"
CONFIRM_RATE_LIMIT = "30 per hour"
CHALLENGE_KEY = "objector_challenge"


def _code_limit() -> str:
    return current_app.config["PUBLICITY_CODE_RATE_LIMIT"]


@bp.route("")
@allow(PUBLIC)
def index():
    after = publicity.Cursor.decode(request.args.get("after"))
    before = None if after else publicity.Cursor.decode(request.args.get("before"))
    locale = select_locale()
    listing = publicity.public_list(locale, after=after, before=before)
    return render_template(
        "publicity/index.html",
        listing=listing,
        groups=listing.groups,
        contact=publicity.contact(locale),
    )


@bp.route("/notices/<int:notice_id>.pdf")
@allow(PUBLIC)
def notice_pdf(notice_id: int):
    """The printable notice, exactly as stored (so that its bytes verify)."""
    notice = publicity.notice_by_id(notice_id)
    if notice is None:
        abort(404)
    english = request.args.get("lang") == "en"
    key = notice.pdf_en_key if english else notice.pdf_key
    name = f"publicity-notice-{notice.program_id}-{notice.starts_on:%Y%m%d}"
    return send_stored_file(
        key, mimetype="application/pdf", download_name=f"{name}{'-en' if english else ''}.pdf"
    )


# --- objections -----------------------------------------------------------------------------


def _award_open_for_objection_or_404(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not publicity.open_for_objection(application):
        abort(404)
    return application


def _signature(application_id: int) -> publicity.Signature | None:
    """Who signs an objection to this award in this session, or None (not yet anyone)."""
    if current_user.is_authenticated:
        return publicity.Signature(account=current_user._get_current_object())
    challenge = objector_identity.confirmed_challenge(session.get(CHALLENGE_KEY), application_id)
    return publicity.Signature(challenge=challenge) if challenge else None


def _identify_page(application: Application, form: IdentityForm | None = None, status=200):
    award = publicity.public_row(application, select_locale())
    sms = objector_identity.sms_available()
    return render_template(
        "publicity/identify.html",
        award=award,
        form=form or IdentityForm(formdata=None, sms=sms),
        sms=sms,
    ), status


def _objection_page(
    application: Application,
    signature: publicity.Signature,
    form: ObjectionForm | None = None,
    status: int = 200,
):
    if signature.account is not None:
        signer = {"name": signature.account.display_name, "contact": signature.account.email}
    else:
        assert signature.challenge is not None
        signer = {
            "name": signature.challenge.name,
            "contact": objector_identity.masked(signature.challenge.address),
        }
    return render_template(
        "publicity/object.html",
        award=publicity.public_row(application, select_locale()),
        form=form or ObjectionForm(formdata=None),
        signer=signer,
        account=signature.account is not None,
    ), status


@bp.route("/<int:application_id>/object", methods=["GET", "POST"], endpoint="object")
@allow(PUBLIC)
@limiter.limit(OBJECTION_RATE_LIMIT, methods=["POST"])
def raise_objection(application_id: int):
    application = _award_open_for_objection_or_404(application_id)
    signature = _signature(application.id)
    if signature is None:
        # Not signed: the objection is refused, and the page asks who the objector is.
        if request.method == "POST":
            form = IdentityForm(formdata=None, sms=objector_identity.sms_available())
            form.name.errors = [_("Give your full name: anonymous objections are not accepted.")]
            return _identify_page(application, form, INVALID_FORM_STATUS)
        return _identify_page(application)
    form = ObjectionForm()
    if not form.validate_on_submit():
        status = INVALID_FORM_STATUS if request.method == "POST" else 200
        return _objection_page(application, signature, form, status)
    try:
        evidence = _checked_evidence(form)
        application = _award_open_for_objection_or_404(application_id)  # read again (below)
        signature = _signature(application.id)
        if signature is None:
            abort(404)
        objection = publicity.raise_objection(
            application,
            form.reason.data,
            signature,
            evidence,
            ip_address=request.remote_addr,
            locale=select_locale(),
        )
    except UploadRejected as rejected:
        form.evidence.errors = [str(rejected.message)]
    except DomainError as error:
        attach_domain_error(form, error)
    else:
        session.pop(CHALLENGE_KEY, None)
        return render_template(
            "publicity/objection_received.html",
            award=publicity.public_row(application, select_locale()),
            status_url=_status_url(objection),
            mailed=objection.contact_kind != objector_identity.PHONE,
        )
    return _objection_page(application, signature, form, INVALID_FORM_STATUS)


def _checked_evidence(form: ObjectionForm) -> list[publicity.Evidence]:
    """The attached files, each checked in the sandbox like a firm's upload.

    As the firm's upload view does, the request's read-only transaction ends first, so that
    no write lock (SQLite) or connection (PostgreSQL) is held while an untrusted file is
    parsed; the caller reads the award again afterwards."""
    files = [f for f in (form.evidence.data or []) if getattr(f, "filename", "")]
    if len(files) > publicity.EVIDENCE_MAX_FILES:
        raise publicity.ObjectionRefused(
            _("Attach at most %(count)d files.", count=publicity.EVIDENCE_MAX_FILES),
            field="evidence",
        )
    if not files:
        return []
    db.session.rollback()
    limits = SandboxLimits.from_config(current_app.config)
    checked = []
    for upload in files:
        data = upload.read()
        try:
            detected = check_in_sandbox(
                data, publicity.EVIDENCE_KINDS, publicity.EVIDENCE_MAX_BYTES, limits
            )
        except UploadRejected as rejected:
            raise UploadRejected(
                rejected.code, f"{upload.filename}: {rejected.message}", **rejected.params
            ) from None
        checked.append(publicity.Evidence(upload.filename, data, detected))
    return checked


@bp.route("/<int:application_id>/object/code", methods=["POST"])
@allow(PUBLIC)
@limiter.limit(_code_limit, methods=["POST"])
def send_code(application_id: int):
    """Send a one-time code to the address the objector gave."""
    application = _award_open_for_objection_or_404(application_id)
    form = IdentityForm(sms=objector_identity.sms_available())
    if not form.validate_on_submit():
        return _identify_page(application, form, INVALID_FORM_STATUS)
    try:
        challenge = objector_identity.start(
            application,
            form.name.data,
            form.channel.data or objector_identity.EMAIL,
            form.address.data,
            locale=select_locale(),
            ip_address=request.remote_addr,
        )
    except DomainError as error:
        attach_domain_error(form, error)
        return _identify_page(application, form, INVALID_FORM_STATUS)
    session[CHALLENGE_KEY] = challenge.id
    return redirect(url_for("publicity.confirm_code", application_id=application.id))


@bp.route("/<int:application_id>/object/confirm", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(CONFIRM_RATE_LIMIT, methods=["POST"])
def confirm_code(application_id: int):
    application = _award_open_for_objection_or_404(application_id)
    challenge = objector_identity.pending_challenge(session.get(CHALLENGE_KEY), application.id)
    if challenge is None:
        return redirect(url_for("publicity.object", application_id=application.id))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            objector_identity.confirm(challenge, form.code.data)
        except DomainError as error:
            keep_changes_on_refusal()  # a wrong code counts, though the answer is an error
            attach_domain_error(form, error)
        else:
            return redirect(url_for("publicity.object", application_id=application.id))
    status = INVALID_FORM_STATUS if request.method == "POST" else 200
    return render_template(
        "publicity/confirm.html",
        award=publicity.public_row(application, select_locale()),
        form=form,
        sent_to=objector_identity.masked(challenge.address),
        minutes=current_app.config["PUBLICITY_CODE_MINUTES"],
    ), status


def _status_url(objection: Objection) -> str:
    if objection.account_id is not None:
        return url_for("publicity.objection_status", objection_id=objection.id)
    return url_for(
        "publicity.objection_status",
        objection_id=objection.id,
        token=publicity.status_token(objection),
    )


@bp.route("/objections/<int:objection_id>")
@allow(PUBLIC)
def objection_status(objection_id: int):
    """The handling of an objection, for whoever signed it (their account, or the signed link
    they were mailed); anyone else gets a 404."""
    objection = publicity.objection_for_viewer(
        objection_id,
        current_user if current_user.is_authenticated else None,
        request.args.get("token"),
    )
    if objection is None:
        abort(404)
    return render_template(
        "publicity/objection_status.html",
        objection=publicity.objection_view(objection, select_locale()),
    )
