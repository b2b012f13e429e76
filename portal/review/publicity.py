"""Publicity (公示): the public list of released awards, signed objections, their resolution,
and the daily move of awards whose period has ended without an open objection.

Objections must be signed: by a signed-in account, or by a name and an address confirmed with
a one-time code (``objector_identity``); anonymous ones are not accepted. They may carry
evidence files, checked like a firm's uploads. An objection puts the award on hold until an
officer upholds it (the award is rejected) or dismisses it (back in publicity, the period's end
date unchanged); the objector follows its handling on a status page.

The public list is read in the order of its partial index (programme, release, amount, id,
all descending) with keyset pagination: a page is one indexed range read of ``per_page`` rows,
whatever the page and however many applications there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, literal, select, text, tuple_

from portal.accounts.models import Enterprise, User
from portal.accounts.signed_links import SignedLink, fingerprint
from portal.applications import lifecycle
from portal.applications.models import Application, Status
from portal.core import audit
from portal.core.audit import Action
from portal.core.concurrency import flush_or_refuse, service
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.core.files import safe_download_name, save_in_transaction
from portal.core.inputs import query_int
from portal.core.jobs import enqueue_after_commit
from portal.core.timeutil import bureau_today, utcnow
from portal.core.uploads import DetectedFile
from portal.programs.models import Program
from portal.programs.parameters import Text
from portal.review import objector_identity, sign_off
from portal.review.models import (
    PUBLIC_LIST_WHERE,
    Objection,
    ObjectionEvidence,
    ObjectionStatus,
    ObjectorChallenge,
    PublicityNotice,
)
from portal.review.objector_identity import name_problem

__all__ = ["name_problem"]

PUBLIC_STATUSES = (Status.PUBLICITY, Status.ON_HOLD)
UPHELD = "upheld"
DISMISSED = "dismissed"
PER_PAGE = 50

# Evidence an objector may attach: checked like a firm's upload (kind by content, size).
EVIDENCE_KINDS = ("pdf", "image")
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_MAX_FILES = 5
REASON_MAX = 5000

# The job that mails the objector (receipt and outcome), declared where mail is sent.
MAIL_OBJECTOR_JOB = "mail_objector"
STATUS_LINK = SignedLink("portal.objection-status")


def _in_publicity() -> Any:
    """The list index's own predicate, as text: a database uses a partial index only for a
    query whose WHERE contains (or implies) the index's term, which a bound parameter would
    not (SQLite); each dialect has its own term (``PUBLIC_LIST_WHERE``)."""
    dialect = db.session.get_bind().dialect.name
    return text(PUBLIC_LIST_WHERE.get(dialect, PUBLIC_LIST_WHERE["postgresql"]))


_LIST_KEY = (
    Application.program_id,
    Application.publicity_starts_on,
    Application.decided_amount,
    Application.id,
)


class ObjectionRefused(DomainError):
    pass


# --- the public list ------------------------------------------------------------------------


def open_for_objection(application: Application, today: date | None = None) -> bool:
    """Objections are taken while the award is in publicity and its period has not ended."""
    today = today or bureau_today()
    return application.status is Status.PUBLICITY and (
        application.publicity_ends_on is None or application.publicity_ends_on >= today
    )


@dataclass(frozen=True)
class Cursor:
    """A place in the public list: the key of a row (programme, release, amount, id)."""

    program_id: int
    starts_on: date
    amount: Decimal
    id: int

    def encode(self) -> str:
        cents = int(self.amount * 100)
        return f"{self.program_id}-{self.starts_on:%Y%m%d}-{cents}-{self.id}"

    @classmethod
    def decode(cls, value: str | None) -> Cursor | None:
        """The cursor of ``?after=`` / ``?before=``, or None when it is not one."""
        parts = (value or "").split("-")
        if len(parts) != 4 or not all(p.isdigit() and len(p) <= 15 for p in parts):
            return None
        try:
            starts_on = datetime.strptime(parts[1], "%Y%m%d").date()
        except ValueError:
            return None
        return cls(int(parts[0]), starts_on, Decimal(int(parts[2])) / 100, int(parts[3]))

    @property
    def key(self) -> tuple[int, date, Decimal, int]:
        return (self.program_id, self.starts_on, self.amount, self.id)


@dataclass(frozen=True)
class ListPage:
    groups: list[dict[str, Any]]
    first: bool
    next_after: str | None
    prev_before: str | None


def _list_query() -> Any:
    return (
        select(
            Application.id,
            Application.status,
            Application.decided_amount,
            Application.publicity_starts_on,
            Application.publicity_ends_on,
            Application.project_title,
            Application.program_id,
            Enterprise.name.label("enterprise"),
            Enterprise.uscc,
        )
        # No join to programmes: the order is the applications index's alone (the planner
        # reads it backwards and stops after the page); their names come in a query of their own.
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .where(_in_publicity())
    )


def public_list(
    locale: str,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    per_page: int = PER_PAGE,
) -> ListPage:
    """One page of awards in publicity or on hold, grouped by programme and release, newest
    programme and release first, larger awards first (two queries: the rows and the notices)."""
    query = _list_query()
    if before is not None:
        query = query.where(tuple_(*_LIST_KEY) > tuple_(*before.key))
        query = query.order_by(*(column.asc() for column in _LIST_KEY))
    else:
        if after is not None:
            query = query.where(tuple_(*_LIST_KEY) < tuple_(*after.key))
        query = query.order_by(*(column.desc() for column in _LIST_KEY))
    rows = list(db.session.execute(query.limit(per_page + 1)).all())
    more = len(rows) > per_page
    rows = rows[:per_page]
    if before is not None:
        rows.reverse()
        first, has_next = not more, True
    else:
        first, has_next = after is None, more
    cursors = [Cursor(r.program_id, r.publicity_starts_on, r.decided_amount, r.id) for r in rows]
    return ListPage(
        groups=_groups(rows, locale),
        first=first,
        next_after=cursors[-1].encode() if rows and has_next else None,
        prev_before=cursors[0].encode() if rows and not first else None,
    )


def _groups(rows: list[Any], locale: str) -> list[dict[str, Any]]:
    today = bureau_today()
    notices = _notices_for({(row.program_id, row.publicity_starts_on) for row in rows})
    names = _program_names({row.program_id for row in rows}, locale)
    groups: list[dict[str, Any]] = []
    for row in rows:
        release = (row.program_id, row.publicity_starts_on)
        if not groups or groups[-1]["release"] != release:
            notice = notices.get(release)
            groups.append(
                {
                    "release": release,
                    "program_id": row.program_id,
                    "program": names.get(row.program_id, ""),
                    "starts_on": row.publicity_starts_on,
                    "ends_on": row.publicity_ends_on,
                    "notice_id": notice.id if notice else None,
                    "rows": [],
                }
            )
        groups[-1]["rows"].append(
            {
                "id": row.id,
                "enterprise": row.enterprise,
                "uscc": row.uscc,
                "project": row.project_title,
                "amount": row.decided_amount,
                "starts_on": row.publicity_starts_on,
                "ends_on": row.publicity_ends_on,
                "on_hold": row.status is Status.ON_HOLD,
                "open": row.status is Status.PUBLICITY
                and (row.publicity_ends_on is None or row.publicity_ends_on >= today),
            }
        )
    return groups


def _program_names(program_ids: set[int], locale: str) -> dict[int, str]:
    if not program_ids:
        return {}
    rows = db.session.execute(
        select(Program.id, Program.name_zh, Program.name_en).where(
            Program.id.in_(sorted(program_ids))
        )
    )
    return {row.id: row.name_en if locale == "en" else row.name_zh for row in rows}


def _notices_for(releases: set[tuple[int, date]]) -> dict[tuple[int, date], PublicityNotice]:
    if not releases:
        return {}
    found = db.session.scalars(
        select(PublicityNotice).where(
            tuple_(PublicityNotice.program_id, PublicityNotice.starts_on).in_(sorted(releases))
        )
    )
    return {(notice.program_id, notice.starts_on): notice for notice in found}


def public_row(application: Application, locale: str) -> dict[str, Any]:
    return {
        "id": application.id,
        "enterprise": application.enterprise.name,
        "uscc": application.enterprise.uscc,
        "project": application.project_title,
        "program": application.program.name(locale),
        "amount": application.decided_amount,
        "starts_on": application.publicity_starts_on,
        "ends_on": application.publicity_ends_on,
    }


def contact(locale: str) -> dict[str, str]:
    """Where objections go (``PORTAL_PUBLICITY_CONTACT_*``), in the reader's language."""
    config = current_app.config
    en = locale == "en"
    return {
        "office": config["PUBLICITY_CONTACT_OFFICE_EN" if en else "PUBLICITY_CONTACT_OFFICE_ZH"],
        "phone": config["PUBLICITY_CONTACT_PHONE"],
        "address": config["PUBLICITY_CONTACT_ADDRESS_EN" if en else "PUBLICITY_CONTACT_ADDRESS_ZH"],
        "email": config["PUBLICITY_CONTACT_EMAIL"],
    }


def release_entries(program_id: int, starts_on: date) -> list[Any]:
    """Every award a programme put into publicity on ``starts_on`` (its notice's list),
    larger awards first. Awards withdrawn after an upheld objection are no longer listed."""
    return list(
        db.session.execute(
            select(
                Application.id,
                Application.decided_amount,
                Application.publicity_ends_on,
                Application.project_title,
                Enterprise.name.label("enterprise"),
                Enterprise.uscc,
            )
            .join(Enterprise, Enterprise.id == Application.enterprise_id)
            .where(
                Application.program_id == program_id,
                Application.publicity_starts_on == starts_on,
                Application.status.in_((*PUBLIC_STATUSES, Status.AWARDED)),
                Application.decided_amount.is_not(None),
            )
            .order_by(Application.decided_amount.desc(), Enterprise.name, Application.id)
        ).all()
    )


def notice_by_id(notice_id: int) -> PublicityNotice | None:
    return db.session.get(PublicityNotice, notice_id)


# --- objections -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """A file attached to an objection, already checked (``detected``) in the sandbox."""

    filename: str
    data: bytes
    detected: DetectedFile


@dataclass(frozen=True)
class Signature:
    """Who signs an objection: an account, or a confirmed address (challenge)."""

    account: User | None = None
    challenge: ObjectorChallenge | None = None


def reason_problem(reason: str) -> Text | None:
    if not (reason or "").strip():
        return _l("Explain your objection: what is wrong with this award, and how you know.")
    if len(reason) > REASON_MAX:
        return _l("Keep your objection under %(count)d characters.", count=REASON_MAX)
    return None


def _signed_by(signature: Signature) -> dict[str, Any]:
    """The objection's signature fields; ObjectionRefused when it is not signed."""
    now = utcnow()
    if signature.account is not None:
        account = signature.account
        return {
            "account_id": account.id,
            "name": account.display_name,
            "contact": account.email,
            "contact_kind": "account",
            "contact_confirmed_at": account.email_confirmed_at or now,
        }
    challenge = signature.challenge
    if challenge is None or challenge.confirmed_at is None or challenge.used_at is not None:
        raise ObjectionRefused(
            _l("Confirm your email address with the code we sent before you object.")
        )
    challenge.used_at = now
    return {
        "account_id": None,
        "name": challenge.name,
        "contact": challenge.address,
        "contact_kind": challenge.channel,
        "contact_confirmed_at": challenge.confirmed_at,
    }


@service
def raise_objection(
    application: Application,
    reason: str,
    signature: Signature,
    evidence: list[Evidence] | tuple[Evidence, ...] = (),
    *,
    ip_address: str | None,
    locale: str = "zh_CN",
) -> Objection:
    """Record a signed objection with its evidence and put the award on hold."""
    if not open_for_objection(application):
        raise ObjectionRefused(_l("This award is not open for objections."))
    problem = reason_problem(reason)
    if problem:
        raise ObjectionRefused(problem, field="reason")
    if len(evidence) > EVIDENCE_MAX_FILES:
        raise ObjectionRefused(
            _l("Attach at most %(count)d files.", count=EVIDENCE_MAX_FILES), field="evidence"
        )
    for item in evidence:
        if item.detected.size != len(item.data) or item.detected.kind not in EVIDENCE_KINDS:
            raise ObjectionRefused(_l("Attach the files again."), field="evidence")
    objection = Objection(
        application_id=application.id,
        reason=reason.strip(),
        ip_address=ip_address,
        locale=locale,
        status=ObjectionStatus.OPEN,
        **_signed_by(signature),
    )
    db.session.add(objection)
    db.session.flush()
    for item in evidence:
        db.session.add(
            ObjectionEvidence(
                objection_id=objection.id,
                original_name=safe_download_name(item.filename or "evidence"),
                storage_key=save_in_transaction(item.data),
                mime_type=item.detected.mime_type,
                size=item.detected.size,
                sha256=item.detected.sha256,
            )
        )
    lifecycle.transition(application, "objection_received", actor=None, objection_id=objection.id)
    audit.record(
        Action.PUBLICITY_OBJECTION_RECEIVED,
        objection,
        actor=None,
        application_id=application.id,
        signed_by=objection.contact_kind,
        evidence=len(evidence),
    )
    # The award moved on meanwhile (an officer's change, the end of publicity).
    flush_or_refuse(_l("This award is not open for objections."))
    _mail_objector(objection, "received")
    return objection


def _mail_objector(objection: Objection, event: str) -> None:
    """Tell the objector (an account or a confirmed email) where to follow the objection."""
    if objection.contact_kind in ("account", objector_identity.EMAIL):
        enqueue_after_commit(MAIL_OBJECTOR_JOB, objection.id, event)


def status_token(objection: Objection) -> str:
    """The signed part of the status page's link, for whoever signed the objection."""
    return STATUS_LINK.make(objection.id, fingerprint(objection.contact))


def objection_for_viewer(objection_id: int, user: Any, token: str | None) -> Objection | None:
    """The objection, if ``user`` signed it or ``token`` is its status link; else None."""
    objection = db.session.get(Objection, objection_id)
    if objection is None:
        return None
    if objection.account_id is not None and getattr(user, "id", None) == objection.account_id:
        return objection
    if token:
        max_age = current_app.config["PUBLICITY_STATUS_LINK_DAYS"] * 86400
        found = STATUS_LINK.read(token, max_age)
        if found == (objection.id, fingerprint(objection.contact)):
            return objection
    return None


def objection_view(objection: Objection, locale: str) -> dict[str, Any]:
    """What the objector sees: the award, what they sent, and its handling."""
    application = db.session.get(Application, objection.application_id)
    return {
        "id": objection.id,
        "award": public_row(application, locale),
        "submitted_at": objection.submitted_at,
        "reason": objection.reason,
        "name": objection.name,
        "contact": objector_identity.masked(objection.contact),
        "status": objection.status.value,
        "resolved_at": objection.resolved_at,
        "resolution_note": objection.resolution_note,
        "evidence": [item.original_name for item in objection.evidence],
    }


OBJECTIONS_PER_PAGE = 25


@dataclass(frozen=True)
class ObjectionsPage:
    """A page of the open objections, oldest first, and the cursors of its neighbours: the id
    of its last objection for "Next" (``?after=``), of its first for "Previous" (``?before=``)."""

    first: bool
    next_after: int | None
    prev_before: int | None


def _objection_cursor() -> tuple[int | None, int | None]:
    """``?after=`` / ``?before=`` of the page being viewed (None outside a request). Read here
    because the view passes only the locale; a malformed value reads as not given."""
    if not has_request_context():
        return None, None
    after = query_int("after", None, minimum=1)
    return after, None if after else query_int("before", None, minimum=1)


def open_objections(
    locale: str,
    page: int = 1,
    *,
    after: int | None = None,
    before: int | None = None,
    per_page: int = OBJECTIONS_PER_PAGE,
) -> tuple[ObjectionsPage, list[dict[str, Any]]]:
    """One page of the open objections, oldest first, by key (status, submitted_at, id): one
    range of ``ix_objections_status_submitted`` whatever the page, and no count. ``page`` is
    not used (pages go by cursor); ``after`` / ``before`` are objection ids, read from the query
    string when not given; an unknown one shows the first page."""
    del page
    if after is None and before is None:
        after, before = _objection_cursor()
    key = (Objection.submitted_at, Objection.id)
    query = (
        select(
            Objection,
            Application.reference,
            Application.decided_amount,
            Application.publicity_ends_on,
            Application.id.label("application_id"),
            Enterprise.name.label("enterprise"),
            Program.name_zh,
            Program.name_en,
        )
        .join(Application, Application.id == Objection.application_id)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .join(Program, Program.id == Application.program_id)
        .where(Objection.status == ObjectionStatus.OPEN)
    )
    cursor_id = after or before
    submitted_at = (
        db.session.scalar(select(Objection.submitted_at).where(Objection.id == cursor_id))
        if cursor_id
        else None
    )
    if submitted_at is None:  # no cursor, or one that names no objection: the first page
        after = before = None
    if before:
        found = db.session.execute(
            query.where(
                tuple_(*key) < tuple_(literal(submitted_at, Objection.submitted_at.type), before)
            )
            .order_by(Objection.submitted_at.desc(), Objection.id.desc())
            .limit(per_page + 1)
        ).all()
        more_before = len(found) > per_page
        found = list(reversed(found[:per_page]))
        if not more_before and len(found) < per_page:  # "Previous" from near the start
            # (after=0: a cursor given as none, so the query string is not read again)
            return open_objections(locale, after=0, per_page=per_page)
        first, more_after = not more_before, True
    else:
        if after:
            query = query.where(
                tuple_(*key) > tuple_(literal(submitted_at, Objection.submitted_at.type), after)
            )
        found = db.session.execute(query.order_by(*key).limit(per_page + 1)).all()
        more_after = len(found) > per_page
        found = found[:per_page]
        first = after is None
    result = ObjectionsPage(
        first=first,
        next_after=found[-1][0].id if more_after and found else None,
        prev_before=found[0][0].id if not first and found else None,
    )
    evidence = _evidence_of([row[0].id for row in found])
    rows = [
        {
            "id": objection.id,
            "application_id": application_id,
            "reference": reference,
            "enterprise": enterprise,
            "program": name_en if locale == "en" else name_zh,
            "amount": amount,
            "ends_on": ends_on,
            "name": objection.name,
            "contact": objection.contact,
            "contact_kind": objection.contact_kind,
            "contact_confirmed_at": objection.contact_confirmed_at,
            "account_id": objection.account_id,
            "reason": objection.reason,
            "submitted_at": objection.submitted_at,
            "evidence": evidence.get(objection.id, []),
        }
        for (
            objection,
            reference,
            amount,
            ends_on,
            application_id,
            enterprise,
            name_zh,
            name_en,
        ) in found
    ]
    return result, rows


def resolved_objections(locale: str, limit: int = 20) -> list[dict[str, Any]]:
    """The latest resolved objections with their outcome (what the objectors were told)."""
    rows = db.session.execute(
        select(Objection, Enterprise.name, Program.name_zh, Program.name_en, Application.reference)
        .join(Application, Application.id == Objection.application_id)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .join(Program, Program.id == Application.program_id)
        # Resolved is "has a resolution time": the (resolved_at, id) index is read from its end.
        .where(Objection.resolved_at.is_not(None), Objection.status != ObjectionStatus.OPEN)
        .order_by(Objection.resolved_at.desc(), Objection.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "id": objection.id,
            "application_id": objection.application_id,
            "reference": reference,
            "enterprise": enterprise,
            "program": name_en if locale == "en" else name_zh,
            "name": objection.name,
            "contact": objection.contact,
            "status": objection.status.value,
            "resolved_at": objection.resolved_at,
            "note": objection.resolution_note,
        }
        for objection, enterprise, name_zh, name_en, reference in rows
    ]


def _evidence_of(objection_ids: list[int]) -> dict[int, list[ObjectionEvidence]]:
    if not objection_ids:
        return {}
    found: dict[int, list[ObjectionEvidence]] = {}
    for item in db.session.scalars(
        select(ObjectionEvidence)
        .where(ObjectionEvidence.objection_id.in_(objection_ids))
        .order_by(ObjectionEvidence.id)
    ):
        found.setdefault(item.objection_id, []).append(item)
    return found


def _checked_resolution(objection: Objection, outcome: str, note: str) -> str:
    """The note, trimmed; ObjectionRefused when the outcome, the note or the objection will
    not do."""
    note = (note or "").strip()
    if outcome not in (UPHELD, DISMISSED):
        raise ObjectionRefused(
            _l("Choose whether the objection is upheld or dismissed."), field="outcome"
        )
    if not note:
        raise ObjectionRefused(_l("Write down what you found and why."), field="note")
    if objection.status is not ObjectionStatus.OPEN:
        raise ObjectionRefused(_l("This objection has already been resolved."))
    return note


@service
def resolve_objection(
    objection: Objection,
    outcome: str,
    note: str,
    *,
    actor: Any,
    four_eyes: dict[str, Any] | None = None,
) -> Objection:
    """Uphold (the award is rejected) or dismiss (back in publicity) an open objection.

    People uphold through a proposal an approver signs off (``propose_upholding``); then
    ``four_eyes`` names both in the events."""
    four_eyes = four_eyes or {}
    note = _checked_resolution(objection, outcome, note)
    application = db.session.get(Application, objection.application_id)
    if outcome == UPHELD:
        amount = application.decided_amount
        lifecycle.transition(application, "uphold_objection", actor=actor, reason=note, **four_eyes)
        application.decision = "reject"
        application.decided_amount = None
        application.decision_reason_code = "objection_upheld"
        application.decision_reason = note
        application.decided_by_id = getattr(actor, "id", None)
        application.decided_at = utcnow()
        objection.status = ObjectionStatus.UPHELD
        previous = {"previous_amount": None if amount is None else str(amount)}
        action = Action.PUBLICITY_OBJECTION_UPHELD
    else:
        lifecycle.transition(application, "dismiss_objection", actor=actor)
        objection.status = ObjectionStatus.DISMISSED
        previous = {}
        action = Action.PUBLICITY_OBJECTION_DISMISSED
    objection.resolved_by_id = getattr(actor, "id", None)
    objection.resolved_at = utcnow()
    objection.resolution_note = note
    audit.record(
        action,
        objection,
        actor=actor,
        application_id=application.id,
        note=note,
        **previous,
        **four_eyes,
    )
    flush_or_refuse(_l("Someone else changed this application meanwhile. Open the list again."))
    _mail_objector(objection, "resolved")
    return objection


# --- upholding as a proposal an approver signs off --------------------------------------------


def upholding_preview(objection: Objection) -> dict[str, Any]:
    """What upholding the objection does: the firm, the award withdrawn, a rejection letter."""
    application = db.session.get(Application, objection.application_id)
    firm = db.session.get(Enterprise, application.enterprise_id)
    return {
        "application_id": application.id,
        "reference": application.reference,
        "firm": firm.name if firm else "",
        "amount": None if application.decided_amount is None else str(application.decided_amount),
    }


def _upholding_fingerprint(objection: Objection) -> str:
    return f"objection:{objection.id}:{objection.status.value}"


@service
def propose_upholding(objection: Objection, note: str, *, actor: Any) -> sign_off.Proposal:
    """The officer proposes upholding the objection (the award is withdrawn when an approver
    signs off); the note is checked now and recorded as the officer wrote it."""
    note = _checked_resolution(objection, UPHELD, note)
    preview = upholding_preview(objection)
    application = db.session.get(Application, objection.application_id)
    return sign_off.propose(
        sign_off.Kind.UPHOLD,
        subject_id=objection.id,
        program_id=application.program_id,
        application_id=application.id,
        fingerprint=_upholding_fingerprint(objection),
        payload={**preview, "note": note},
        actor=actor,
    )


def _uphold_fingerprint_now(proposal: sign_off.Proposal) -> str:
    objection = db.session.get(Objection, proposal.subject_id)
    return _upholding_fingerprint(objection) if objection is not None else ""


def _carry_out_upholding(proposal: sign_off.Proposal, approver: Any, names: dict[str, Any]) -> None:
    objection = db.session.get(Objection, proposal.subject_id)
    resolve_objection(objection, UPHELD, proposal.payload["note"], actor=approver, four_eyes=names)


sign_off.register(
    sign_off.Kind.UPHOLD, fingerprint=_uphold_fingerprint_now, carry_out=_carry_out_upholding
)


# --- the end of publicity -------------------------------------------------------------------


def advance_publicity(today: date | None = None, *, actor: Any = None) -> int:
    """Make final every award whose publicity period ended before ``today`` (Asia/Shanghai)
    without an open objection; return how many. Running it again moves nothing."""
    today = today or bureau_today()
    has_open_objection = exists().where(
        Objection.application_id == Application.id, Objection.status == ObjectionStatus.OPEN
    )
    due = list(
        db.session.scalars(
            select(Application)
            .where(
                Application.status == Status.PUBLICITY,
                Application.publicity_ends_on < today,
                ~has_open_objection,
            )
            .order_by(Application.id)
            .with_for_update(skip_locked=True)
        )
    )
    now = utcnow()
    for application in due:
        lifecycle.transition(application, "finish_publicity", actor=actor)
        application.awarded_at = now
    if due:
        audit.record(
            Action.PUBLICITY_ADVANCED,
            actor=actor,
            object_type="system",
            count=len(due),
            today=today.isoformat(),
        )
    db.session.flush()
    return len(due)
