"""``/verify``: anyone checks a letter, a publicity notice or a release's summary of the review
results, by its code or by its file.
Rate-limited; an unknown code is a plain "not found" that says nothing else."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.core.access import PUBLIC, allow
from portal.core.extensions import limiter
from portal.core.forms import INVALID_FORM_STATUS
from portal.core.i18n import select_locale
from portal.letters import publicity_notice, release_record_pdf, verification
from portal.letters.numbering import normalise_code
from portal.payments import documents
from portal.web.public.verify_forms import VerifyCodeForm, VerifyFileForm

bp = Blueprint("verify", __name__, url_prefix="/verify")

MAX_PDF_BYTES = 20 * 1024 * 1024


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


# One budget for every way of asking, so that codes cannot be guessed faster by mixing them.
verify_limit = limiter.shared_limit(_verify_limit, scope="verify")


def _page(code_form=None, file_form=None, status: int = 200, **values):
    return render_template(
        "verify/index.html",
        code_form=code_form or VerifyCodeForm(formdata=None),
        file_form=file_form or VerifyFileForm(formdata=None),
        **values,
    ), status


@bp.route("")
@allow(PUBLIC)
@verify_limit
def index():
    """The look-up form; ``?code=`` sends a typed code to its result page."""
    if "code" not in request.args:
        return _page()
    form = VerifyCodeForm(request.args)
    if form.validate():
        code = normalise_code(form.code.data)
        if code is not None:
            return redirect(url_for("verify.by_code", code=code))
        form.code.errors.append(
            _("A code has 12 letters and digits, e.g. ABCD-EFGH-JKMN; check what you typed.")
        )
    return _page(code_form=form, status=INVALID_FORM_STATUS)


@bp.route("/<code>")
@allow(PUBLIC)
@verify_limit
def by_code(code: str):
    letter = verification.letter_by_code(code)
    if letter is None:
        notice = publicity_notice.notice_by_code(code)
        if notice is not None:
            return _notice_page(notice, by_file=None)
        record = release_record_pdf.record_by_code(code)
        if record is not None:
            return _record_page(record, by_file=None)
        document = documents.document_by_code(code)
        if document is not None:
            return _document_page(document, by_file=None)
        return render_template("verify/not_found.html"), 404
    return render_template(
        "verify/result.html",
        letter=verification.public_view(letter, select_locale()),
        by_file=None,
    )


@bp.route("/file", methods=["POST"])
@allow(PUBLIC)
@verify_limit
def by_file():
    form = VerifyFileForm()
    if not form.validate_on_submit():
        return _page(file_form=form, status=INVALID_FORM_STATUS)
    data = form.file.data.read(MAX_PDF_BYTES + 1)
    small_enough = len(data) <= MAX_PDF_BYTES
    match = verification.letter_by_file(data) if small_enough else None
    if match is None:
        notice_match = publicity_notice.notice_by_file(data) if small_enough else None
        if notice_match is not None:
            return _notice_page(notice_match[0], by_file=notice_match[1])
        record_match = release_record_pdf.record_by_file(data) if small_enough else None
        if record_match is not None:
            return _record_page(record_match[0], by_file=record_match[1])
        document_match = documents.document_by_file(data) if small_enough else None
        if document_match is not None:
            return _document_page(document_match[0], by_file=document_match[1])
        return render_template("verify/file_unknown.html"), 200
    letter, lang = match
    return render_template(
        "verify/result.html",
        letter=verification.public_view(letter, select_locale()),
        by_file=lang,
    )


def _notice_page(notice, *, by_file: str | None):
    return render_template(
        "verify/notice_result.html",
        notice=publicity_notice.public_view(notice, select_locale()),
        by_file=by_file,
    )


def _record_page(record, *, by_file: str | None):
    return render_template(
        "verify/record_result.html",
        record=release_record_pdf.public_view(record, select_locale()),
        by_file=by_file,
    )


def _document_page(document, *, by_file: str | None):
    """An agreement, acceptance notice or recovery notice of the post-award stage."""
    return render_template(
        "verify/document.html",
        document=documents.public_view(document, select_locale()),
        by_file=by_file,
    )
