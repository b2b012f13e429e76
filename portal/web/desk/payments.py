"""Due tranches, payment batches (approved by the approver), payment orders, confirmations.

Officers gather due payments into a batch; an approver who did not make it approves it after a
confirmation page stating the count and total, or sends it back; the approved batch gives the
payment order (XLSX and CSV) and a printable sheet; finance's confirmation is recorded by hand
or imported from the bank's file, and the reconciliation lists what matched and what did not.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.core.access import APPROVER, OFFICER, allow
from portal.core.concurrency import ConcurrentChange
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.forms import INVALID_FORM_STATUS, attach_domain_error
from portal.core.i18n import select_locale
from portal.core.inputs import parse_int, query_int
from portal.core.money import format_money
from portal.core.sandbox import SandboxLimits, check_in_sandbox
from portal.core.timeutil import bureau_today
from portal.core.uploads import UploadRejected
from portal.letters.content import amount_in_capitals
from portal.payments import batches, confirmations, payment_orders, payment_queries
from portal.payments.batch_models import BatchStatus, PaymentBatch
from portal.payments.confirmation_file import (
    MAX_BYTES,
    FileRefused,
    is_xlsx,
    parse_csv,
    parse_xlsx,
)
from portal.payments.models import Tranche
from portal.web.desk.payment_forms import (
    ApproveForm,
    BatchForm,
    ImportForm,
    PaidForm,
    SendBackForm,
)

bp = Blueprint("payments", __name__, url_prefix="/staff/payments")

CONFLICT_STATUS = 409
STAFF = (OFFICER, APPROVER)


def _batch_or_404(batch_id: int) -> PaymentBatch:
    batch = db.session.get(PaymentBatch, batch_id)
    if batch is None:
        abort(404)
    return batch


def _actor() -> Any:
    return current_user._get_current_object()


def _download(body: bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- due payments and making a batch ----------------------------------------------------------


def _render_due(form: BatchForm | None = None, chosen: set[int] | None = None, status: int = 200):
    locale = select_locale()
    program_id = query_int("program")
    page = payment_queries.due_tranches(
        program_id=program_id, after=query_int("after"), locale=locale
    )
    count, total = payment_queries.due_summary()
    return render_template(
        "payments/due.html",
        page=page,
        count=count,
        total=total,
        programmes=payment_queries.programmes_with_due(locale),
        program_id=program_id,
        form=form or BatchForm(formdata=None),
        chosen=chosen or set(),
    ), status


@bp.route("")
@allow(*STAFF)
def index():
    return _render_due()


@bp.route("/batches", methods=["POST"])
@allow(OFFICER)
def create_batch():
    form = BatchForm()
    ids = [parse_int(value, minimum=1) for value in request.form.getlist("tranche_ids")]
    chosen = {i for i in ids if i is not None}
    if form.validate_on_submit():
        try:
            batch = batches.create_batch(sorted(chosen), actor=_actor())
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            flash(
                ngettext(
                    "Batch %(number)s prepared: %(num)d payment, %(total)s yuan. It waits for "
                    "an approver.",
                    "Batch %(number)s prepared: %(num)d payments, %(total)s yuan. It waits for "
                    "an approver.",
                    batch.tranche_count,
                    number=batch.number,
                    total=format_money(batch.total),
                ),
                "success",
            )
            return redirect(url_for("payments.batch", batch_id=batch.id))
    return _render_due(form, chosen, INVALID_FORM_STATUS)


# --- batches ----------------------------------------------------------------------------------


@bp.route("/batches")
@allow(*STAFF)
def batch_list():
    value = request.args.get("status", "")
    status = BatchStatus(value) if value in {s.value for s in BatchStatus} else None
    page = payment_queries.batches(status=status, before=query_int("before"))
    return render_template("payments/batches.html", page=page, status=status)


def _render_batch(
    batch: PaymentBatch,
    *,
    paid_forms: dict[int, PaidForm] | None = None,
    send_back_form: SendBackForm | None = None,
    status: int = 200,
):
    lines = payment_queries.batch_lines(batch, select_locale())
    forms = paid_forms or {}
    for line in lines:
        tranche_id = line["tranche"].id
        if tranche_id not in forms:
            form = PaidForm(formdata=None, prefix=f"t{tranche_id}")
            form.paid_on.data = bureau_today()
            forms[tranche_id] = form
    return render_template(
        "payments/batch.html",
        batch=batch,
        lines=lines,
        paid_forms=forms,
        send_back_form=send_back_form or SendBackForm(formdata=None),
        created_by=batches._name(batch.created_by_id),
        approved_by=batches._name(batch.approved_by_id),
        sent_back_by=batches._name(batch.sent_back_by_id),
        own=batch.created_by_id == current_user.id,
    ), status


@bp.route("/batches/<int:batch_id>")
@allow(*STAFF)
def batch(batch_id: int):
    return _render_batch(_batch_or_404(batch_id))


def _render_approve(batch: PaymentBatch, form: ApproveForm | None = None, status: int = 200):
    form = form or ApproveForm(formdata=None)
    form.seen_count.data = str(batch.tranche_count)
    form.seen_total.data = str(batch.total)
    return render_template(
        "payments/approve.html",
        batch=batch,
        lines=payment_queries.batch_lines(batch, select_locale()),
        form=form,
        created_by=batches._name(batch.created_by_id),
        own=batch.created_by_id == current_user.id,
    ), status


@bp.route("/batches/<int:batch_id>/approve", methods=["GET", "POST"])
@allow(APPROVER)
def approve(batch_id: int):
    batch = _batch_or_404(batch_id)
    if request.method == "GET":
        return _render_approve(batch)
    form = ApproveForm()
    status = INVALID_FORM_STATUS
    if form.validate_on_submit():
        try:
            seen_total = Decimal(form.seen_total.data or "")
        except InvalidOperation:
            seen_total = None
        try:
            batches.approve_batch(
                batch,
                approver=_actor(),
                seen_count=parse_int(form.seen_count.data),
                seen_total=seen_total,
            )
        except DomainError as error:
            attach_domain_error(form, error)
            status = CONFLICT_STATUS if isinstance(error, ConcurrentChange) else status
            db.session.refresh(batch)
        else:
            flash(
                _(
                    "Batch %(number)s approved: %(total)s yuan. The payment order can be "
                    "downloaded.",
                    number=batch.number,
                    total=format_money(batch.total),
                ),
                "success",
            )
            return redirect(url_for("payments.batch", batch_id=batch.id))
    return _render_approve(batch, form, status)


@bp.route("/batches/<int:batch_id>/send-back", methods=["POST"])
@allow(APPROVER)
def send_back(batch_id: int):
    batch = _batch_or_404(batch_id)
    form = SendBackForm()
    if form.validate_on_submit():
        try:
            batches.send_back_batch(batch, approver=_actor(), reason=form.reason.data)
        except DomainError as error:
            attach_domain_error(form, error)
            db.session.refresh(batch)
        else:
            flash(_("Sent back to the officer; its payments are due again."), "success")
            return redirect(url_for("payments.batch", batch_id=batch.id))
    return _render_batch(batch, send_back_form=form, status=INVALID_FORM_STATUS)


# --- the payment order and the printed sheet --------------------------------------------------


def _approved_or_404(batch_id: int) -> PaymentBatch:
    batch = _batch_or_404(batch_id)
    if batch.status is not BatchStatus.APPROVED:
        abort(404)
    return batch


@bp.route("/batches/<int:batch_id>/order.xlsx")
@allow(*STAFF)
def order_xlsx(batch_id: int):
    batch = _approved_or_404(batch_id)
    return _download(
        payment_orders.order_xlsx(batch.number, batch.lines),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{batch.number}.xlsx",
    )


@bp.route("/batches/<int:batch_id>/order.csv")
@allow(*STAFF)
def order_csv(batch_id: int):
    batch = _approved_or_404(batch_id)
    body = payment_orders.order_csv(batch.number, batch.lines).encode("utf-8")
    return _download(body, "text/csv; charset=utf-8", f"{batch.number}.csv")


@bp.route("/batches/<int:batch_id>/confirmation-template.csv")
@allow(*STAFF)
def confirmation_template(batch_id: int):
    batch = _approved_or_404(batch_id)
    body = payment_orders.confirmation_template(batch.number, batch.lines).encode("utf-8")
    return _download(body, "text/csv; charset=utf-8", f"{batch.number}-confirmation.csv")


@bp.route("/batches/<int:batch_id>/print")
@allow(*STAFF)
def print_sheet(batch_id: int):
    batch = _batch_or_404(batch_id)
    return render_template(
        "payments/print.html",
        batch=batch,
        lines=payment_queries.batch_lines(batch, select_locale()),
        created_by=batches._name(batch.created_by_id),
        approved_by=batches._name(batch.approved_by_id),
        capitals=amount_in_capitals(batch.total),
    )


# --- confirmations ----------------------------------------------------------------------------


@bp.route("/tranches/<int:tranche_id>/paid", methods=["POST"])
@allow(OFFICER)
def record_paid(tranche_id: int):
    tranche = db.session.get(Tranche, tranche_id)
    if tranche is None or tranche.batch_id is None:
        abort(404)
    batch = _batch_or_404(tranche.batch_id)
    form = PaidForm(prefix=f"t{tranche.id}")
    if form.validate_on_submit():
        try:
            confirmations.confirm_payment(
                tranche,
                paid_on=form.paid_on.data,
                bank_reference=form.bank_reference.data,
                actor=_actor(),
            )
        except DomainError as error:
            attach_domain_error(form, error)
            db.session.refresh(tranche)
        else:
            flash(
                _(
                    "Recorded: %(amount)s yuan paid on %(date)s.",
                    amount=format_money(tranche.amount),
                    date=form.paid_on.data.isoformat(),
                ),
                "success",
            )
            return redirect(url_for("payments.batch", batch_id=batch.id))
    return _render_batch(batch, paid_forms={tranche.id: form}, status=INVALID_FORM_STATUS)


def _read_rows(data: bytes):
    """The bank file's rows: an XLSX is checked in the sandbox first, with no transaction held
    meanwhile (see web/firm/applications._checked_upload); a CSV is read within limits."""
    if is_xlsx(data):
        db.session.rollback()
        check_in_sandbox(data, ["xlsx"], MAX_BYTES, SandboxLimits.from_config(current_app.config))
        return parse_xlsx(data)
    return parse_csv(data)


@bp.route("/import", methods=["GET", "POST"])
@allow(OFFICER)
def import_confirmations():
    form = ImportForm()
    if request.method == "GET":
        return render_template("payments/import.html", form=ImportForm(formdata=None))
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(MAX_BYTES + 1)
        try:
            if len(data) > MAX_BYTES:
                raise FileRefused(_("The file is larger than 2 MB."))
            rows = _read_rows(data)
            result = confirmations.import_confirmations(
                rows, actor=_actor(), filename=upload.filename or ""
            )
        except UploadRejected as rejected:
            form.file.errors = [str(rejected.message)]
        except DomainError as error:
            form.file.errors = [str(error.message)]
        else:
            return render_template("payments/reconciliation.html", result=result)
    return render_template("payments/import.html", form=form), INVALID_FORM_STATUS
