"""Programme pages: what is open, and for a signed-in firm whether and why it qualifies."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.accounts.models import Role
from portal.applications import services as applications
from portal.core.access import ENTERPRISE, PUBLIC, allow
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.i18n import select_locale
from portal.core.timeutil import bureau_today, utcnow
from portal.profiles.services import facts_for
from portal.programs import services
from portal.programs.models import Program
from portal.web.shared.program_presenters import program_card, verdict_view

bp = Blueprint("programs", __name__)


def _program_or_404(code: str) -> Program:
    program = db.session.scalar(select(Program).where(Program.code == code))
    if program is None:
        abort(404)
    return program


def _signed_in_firm():
    if current_user.is_authenticated and current_user.role is Role.ENTERPRISE:
        return current_user.enterprise
    return None


@bp.route("/programmes")
@allow(PUBLIC)
def index():
    now = utcnow()
    programs = services.open_programs(now)
    versions = services.versions_by_id(programs)
    firm = _signed_in_firm()
    facts = facts_for(firm, bureau_today()) if firm else None
    locale = select_locale()
    cards = []
    for program in programs:
        verdict = services.judge(program, versions[program.id], facts) if facts else None
        cards.append(program_card(program, locale, now, verdict))
    return render_template("programs/index.html", cards=cards, for_firm=firm is not None)


@bp.route("/programmes/<code>")
@allow(PUBLIC)
def show(code: str):
    program = _program_or_404(code)
    version = services.current_version(program)
    locale = select_locale()
    now = utcnow()
    firm = _signed_in_firm()
    verdict = existing = None
    if firm is not None:
        verdict = services.judge(program, version, facts_for(firm, bureau_today()))
        existing = applications.active_application(firm.id, program.id)
    return render_template(
        "programs/show.html",
        program=program_card(program, locale, now, verdict),
        documents=[
            {"name": doc["name_en"] if locale == "en" else doc["name_zh"], **doc}
            for doc in version.documents
        ],
        rubric=[
            {"name": c["name_en"] if locale == "en" else c["name_zh"], **c} for c in version.rubric
        ],
        verdict=verdict_view(verdict) if verdict else None,
        existing_id=existing.id if existing else None,
        is_open=program.is_open(now),
    )


@bp.route("/programmes/<code>/apply", methods=["POST"])
@allow(ENTERPRISE)
def apply(code: str):
    program = _program_or_404(code)
    try:
        application = applications.start_application(
            current_user.enterprise, program, actor=current_user._get_current_object()
        )
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("programs.show", code=code))
    return redirect(url_for("applications.show", application_id=application.id))
