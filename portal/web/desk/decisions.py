"""Officers decide: the ranked list of a programme, single and bulk decisions, the release,
and the resolution of objections raised during publicity."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.applications.models import Application
from portal.core.access import ADMIN, OFFICER, allow
from portal.core.concurrency import ConcurrentChange
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import send_stored_file
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.inputs import query_int
from portal.core.pagination import MAX_PAGE, page_arg, paginate
from portal.programs.models import Program
from portal.review import decisions, publicity, ranking, sign_off
from portal.review.decision_rules import APPROVE, REASON_LABELS, REJECT, Choice
from portal.review.models import Objection, ObjectionEvidence, ObjectionStatus
from portal.web.desk.decision_forms import (
    BulkDecisionForm,
    DecisionForm,
    ReleaseForm,
    ResolveObjectionForm,
)

bp = Blueprint("decisions", __name__, url_prefix="/staff/decisions")

CONFLICT_STATUS = 409


def _actor():
    return current_user._get_current_object()


def _program_or_404(program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None:
        abort(404)
    return program


def _status_for(error: DomainError) -> int:
    return CONFLICT_STATUS if isinstance(error, ConcurrentChange) else INVALID_FORM_STATUS


# --- programmes -----------------------------------------------------------------------------


@bp.route("")
@allow(OFFICER, ADMIN)
def index():
    page = paginate(
        select(Program).order_by(Program.opens_at.desc(), Program.id.desc()),
        page=page_arg(),
    )
    counts = ranking.programmes_overview([program.id for program in page.rows])
    locale = select_locale()
    rows = [
        {
            "id": program.id,
            "name": program.name(locale),
            "budget": program.budget,
            "expert_review": program.reviewers_per_application > 0,
            "pro_rata": program.pro_rata,
            **counts[program.id],
        }
        for program in page.rows
    ]
    open_objections = db.session.scalar(
        select(func.count(Objection.id)).where(Objection.status == ObjectionStatus.OPEN)
    )
    return render_template(
        "decisions/index.html", rows=rows, page=page, open_objections=open_objections
    )


def _orphan_errors(failed_form, failed_id, forms: dict) -> list[str]:
    """The errors of a refused form whose row has left the page meanwhile (a released
    decision, a resolved objection): shown at the top instead of beside the row."""
    if failed_form is None or failed_id in forms:
        return []
    return [*failed_form.form_errors] + [
        str(error) for field in failed_form for error in field.errors
    ]


def _row_form(row: dict) -> DecisionForm:
    return DecisionForm(
        formdata=None,
        prefix=f"a{row['id']}",
        data={
            "decision": row["decision"],
            "amount": row["decided_amount"] if row["decision"] else row["default_amount"],
            "reason_code": row["reason_code"] if row["decision"] == REJECT else "",
            "reason": row["reason"],
            "lock_version": row["lock_version"],
            "seen_decision": row["decision"] or "",
        },
    )


def _render_ranked(
    program: Program,
    *,
    failed_form: DecisionForm | None = None,
    failed_id: int | None = None,
    bulk_form: BulkDecisionForm | None = None,
    release_form: ReleaseForm | None = None,
    status: int = 200,
):
    ranked = ranking.ranked_list(program, select_locale(), page=page_arg())
    forms = {}
    for row in ranked["rows"]:
        forms[row["id"]] = failed_form if failed_id == row["id"] and failed_form else _row_form(row)
    page_errors = _orphan_errors(failed_form, failed_id, forms)
    if bulk_form is None:
        bulk_form = BulkDecisionForm(formdata=None)
    if release_form is None:
        release_form = ReleaseForm(formdata=None)
    release_form.snapshot.data = ranked["snapshot"]
    selected = set(bulk_form.selected.data or [])
    proposal = sign_off.pending_for(sign_off.Kind.RELEASE, [program.id]).get(program.id)
    return render_template(
        "decisions/ranked.html",
        ranked=ranked,
        program=ranked["program"],
        forms=forms,
        failed_id=failed_id,
        page_errors=page_errors,
        bulk_form=bulk_form,
        selected=selected,
        release_form=release_form,
        release_proposal=_proposal_view(proposal, ranked["snapshot"]),
        sent_back=_sent_back_view(sign_off.Kind.RELEASE, program.id) if proposal is None else None,
        reason_labels={code: str(label) for code, label in REASON_LABELS.items()},
    ), status


def _name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id is not None else None
    return user.display_name if user is not None else ""


def _proposal_view(proposal: sign_off.Proposal | None, fingerprint_now: str | None = None):
    """A pending proposal as the officer's pages show it (stale when its subject moved on)."""
    if proposal is None:
        return None
    return {
        "proposed_by": _name(proposal.proposed_by_id),
        "proposed_at": proposal.proposed_at,
        "stale": fingerprint_now is not None and fingerprint_now != proposal.fingerprint,
    }


def _sent_back_view(kind: sign_off.Kind, subject_id: int):
    proposal = sign_off.latest_sent_back(kind, subject_id)
    if proposal is None:
        return None
    return {
        "by": _name(proposal.decided_by_id),
        "at": proposal.decided_at,
        "reason": proposal.send_back_reason,
    }


@bp.route("/programmes/<int:program_id>")
@allow(OFFICER, ADMIN)
def ranked(program_id: int):
    return _render_ranked(_program_or_404(program_id))


# --- deciding -------------------------------------------------------------------------------


@bp.route("/applications/<int:application_id>/decide", methods=["POST"])
@allow(OFFICER, ADMIN)
def decide(application_id: int):
    application = db.session.get(Application, application_id)
    if application is None:
        abort(404)
    program_id = application.program_id
    form = DecisionForm(prefix=f"a{application_id}")
    if form.validate_on_submit():
        try:
            decisions.record_decision(
                application,
                Choice(
                    decision=form.decision.data,
                    amount=form.amount.data,
                    reason_code=form.reason_code.data or "",
                    reason=form.reason.data or "",
                ),
                actor=_actor(),
                seen_lock_version=form.lock_version.data,
                seen_decision=form.seen_decision.data or None,
            )
        except ConcurrentChange as error:
            flash(str(error.message), "error")
            return _render_ranked(_program_or_404(program_id), status=CONFLICT_STATUS)
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            reference = application.reference
            if form.decision.data == APPROVE:
                flash(
                    _(
                        "Approval of %(reference)s recorded (pending until the release).",
                        reference=reference,
                    ),
                    "success",
                )
            else:
                flash(
                    _(
                        "Rejection of %(reference)s recorded (pending until the release).",
                        reference=reference,
                    ),
                    "success",
                )
            return redirect(
                url_for(
                    "decisions.ranked",
                    program_id=program_id,
                    page=query_int("page", minimum=1, maximum=MAX_PAGE),
                    _anchor=f"row-{application_id}",
                )
            )
    return _render_ranked(
        _program_or_404(program_id),
        failed_form=form,
        failed_id=application_id,
        status=INVALID_FORM_STATUS,
    )


@bp.route("/programmes/<int:program_id>/bulk", methods=["POST"])
@allow(OFFICER, ADMIN)
def bulk_decide(program_id: int):
    program = _program_or_404(program_id)
    form = BulkDecisionForm()
    status = INVALID_FORM_STATUS
    if form.validate_on_submit():
        ids = list(dict.fromkeys(form.selected.data or []))
        seen = {app_id: request.form.get(f"lock_{app_id}", type=int) for app_id in ids}
        try:
            done = decisions.record_bulk_decision(
                program,
                ids,
                form.action.data,
                actor=_actor(),
                seen_lock_versions=seen,
                reason_code=form.reason_code.data or "",
                reason=form.reason.data or "",
            )
        except DomainError as error:
            attach_domain_error(form, error)
            status = _status_for(error)
        else:
            if form.action.data == APPROVE:
                message = ngettext(
                    "%(num)d approval recorded at its proposed amount (pending until the release).",
                    "%(num)d approvals recorded at their proposed amounts (pending until the "
                    "release).",
                    len(done),
                )
            else:
                message = ngettext(
                    "%(num)d rejection recorded (pending until the release).",
                    "%(num)d rejections recorded (pending until the release).",
                    len(done),
                )
            flash(message, "success")
            return redirect(
                url_for(
                    "decisions.ranked",
                    program_id=program_id,
                    page=query_int("page", minimum=1, maximum=MAX_PAGE),
                )
            )
    elif form.action.errors:
        form.form_errors.append(_("Choose whether to approve or reject the selection."))
    return _render_ranked(_program_or_404(program_id), bulk_form=form, status=status)


@bp.route("/programmes/<int:program_id>/release", methods=["GET", "POST"])
@allow(OFFICER, ADMIN)
def release(program_id: int):
    """What the release would do (GET), then the officer's proposal of it (POST): it takes
    effect when an approver signs it off."""
    program = _program_or_404(program_id)
    form = ReleaseForm()
    status = 200
    if request.method == "POST":
        status = INVALID_FORM_STATUS
        if form.validate_on_submit():
            try:
                decisions.propose_release(
                    program, actor=_actor(), snapshot=form.snapshot.data or ""
                )
            except DomainError as error:
                attach_domain_error(form, error)
                status = _status_for(error)
            else:
                flash(
                    _(
                        "Release proposed. It takes effect when an approver signs it off; "
                        "until then nothing is shown to the enterprises."
                    ),
                    "success",
                )
                return redirect(url_for("decisions.ranked", program_id=program_id))
    return _render_release_confirmation(program, form, status)


def _render_release_confirmation(program: Program, form: ReleaseForm, status: int):
    try:
        preview = decisions.release_preview(program)
    except DomainError as error:
        preview, refusal = None, str(error.message)
    else:
        refusal = None
        form.snapshot.data = preview.snapshot
    pending = sign_off.pending_for(sign_off.Kind.RELEASE, [program.id]).get(program.id)
    return render_template(
        "decisions/confirm_release.html",
        program={"id": program.id, "name": program.name(select_locale())},
        preview=preview,
        refusal=refusal,
        form=form,
        pending=_proposal_view(pending, preview.snapshot if preview else None),
    ), status


# --- objections -----------------------------------------------------------------------------


def _render_objections(failed_form=None, failed_id=None, status: int = 200):
    page, rows = publicity.open_objections(select_locale(), page_arg())
    forms = {
        row["id"]: failed_form
        if failed_id == row["id"] and failed_form
        else ResolveObjectionForm(formdata=None, prefix=f"o{row['id']}")
        for row in rows
    }
    page_errors = _orphan_errors(failed_form, failed_id, forms)
    proposals = sign_off.pending_for(sign_off.Kind.UPHOLD, [row["id"] for row in rows])
    return render_template(
        "decisions/objections.html",
        rows=rows,
        page=page,
        forms=forms,
        proposals={oid: _proposal_view(p) for oid, p in proposals.items()},
        failed_id=failed_id,
        page_errors=page_errors,
        resolved=publicity.resolved_objections(select_locale()),
    ), status


@bp.route("/objections")
@allow(OFFICER, ADMIN)
def objections():
    return _render_objections()


@bp.route("/objections/<int:objection_id>/evidence/<int:evidence_id>")
@allow(OFFICER, ADMIN)
def objection_evidence(objection_id: int, evidence_id: int):
    """A file an objector attached, as it was checked and stored."""
    evidence = db.session.get(ObjectionEvidence, evidence_id)
    if evidence is None or evidence.objection_id != objection_id:
        abort(404)
    return send_stored_file(
        evidence.storage_key, mimetype=evidence.mime_type, download_name=evidence.original_name
    )


@bp.route("/objections/<int:objection_id>/resolve", methods=["POST"])
@allow(OFFICER, ADMIN)
def resolve_objection(objection_id: int):
    """Dismissing takes effect at once; upholding (the award is withdrawn) is confirmed, then
    proposed for an approver's sign-off."""
    objection = db.session.get(Objection, objection_id)
    if objection is None:
        abort(404)
    form = ResolveObjectionForm(prefix=f"o{objection_id}")
    if form.validate_on_submit():
        upholding = form.outcome.data == publicity.UPHELD
        try:
            if upholding and request.form.get("confirmed") != "1":
                return _render_uphold_confirmation(objection, form)
            if upholding:
                publicity.propose_upholding(objection, form.note.data, actor=_actor())
            else:
                publicity.resolve_objection(
                    objection, form.outcome.data, form.note.data, actor=_actor()
                )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            if upholding:
                flash(
                    _(
                        "Upholding proposed. The award is withdrawn when an approver signs "
                        "it off; until then it stays on hold."
                    ),
                    "success",
                )
            else:
                flash(_("Objection dismissed: the award is back in publicity."), "success")
            return redirect(url_for("decisions.objections"))
    return _render_objections(form, objection_id, INVALID_FORM_STATUS)


def _render_uphold_confirmation(objection: Objection, form: ResolveObjectionForm):
    return render_template(
        "decisions/confirm_uphold.html",
        objection=objection,
        preview=publicity.upholding_preview(objection),
        form=form,
    )
