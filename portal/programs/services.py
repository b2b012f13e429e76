"""Programme rules: creating, editing (with versions), listing, and judging eligibility."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.core import audit
from portal.core.audit import Action, AuditEvent
from portal.core.concurrency import ConcurrentChange, check_not_stale, lock
from portal.core.domain import DomainError
from portal.core.extensions import db
from portal.programs import formulas, rules
from portal.programs.facts import FirmFacts
from portal.programs.models import Program, ProgramVersion

VERSIONED_FIELDS = ("eligibility", "formula", "documents", "rubric")
PROGRAM_FIELDS = (
    "code",
    "name_zh",
    "name_en",
    "summary_zh",
    "summary_en",
    "kind",
    "issuer_code",
    "opens_at",
    "closes_at",
    "budget",
    "per_firm_cap",
    "reviewers_per_application",
    "publicity_days",
    "score_spread_threshold",
    "pro_rata",
)

# Letter numbers start with the issuer code (阜科发〔2026〕12号), and the number names the
# letter's files in the export ZIP: only letters and digits (Chinese included), as on a notice;
# no punctuation, slashes, dots or spaces, which could make a file name climb out of a folder.
ISSUER_CODE_MAX = 12
INVALID_ISSUER_CODE = _l(
    "Use letters and digits only (Chinese characters included), at most %(max)d, "
    "for example 阜科发.",
    max=ISSUER_CODE_MAX,
)


def issuer_code_valid(code: str) -> bool:
    return 0 < len(code) <= ISSUER_CODE_MAX and all(ch.isalnum() for ch in code)


def _check_issuer_code(data: dict[str, Any]) -> None:
    if "issuer_code" in data and not issuer_code_valid(data["issuer_code"] or ""):
        raise DomainError(INVALID_ISSUER_CODE, field="issuer_code")


def current_version(program: Program) -> ProgramVersion:
    return db.session.scalar(
        select(ProgramVersion).where(
            ProgramVersion.program_id == program.id,
            ProgramVersion.number == program.current_version_number,
        )
    )


def check_version_data(data: dict[str, Any]) -> list[str]:
    """Problems with rules, formula, documents or rubric, in words an officer can act on."""
    problems = list(rules.validate_tree(data["eligibility"]))
    problems += formulas.validate_formula(data["formula"])
    keys = [doc.get("key") for doc in data["documents"]]
    if len(keys) != len(set(keys)):
        problems.append(str(_l("Two documents have the same key.")))
    criteria = data["rubric"]
    try:
        total_weight = sum(Decimal(str(c["weight"])) for c in criteria)
    except (ArithmeticError, KeyError, TypeError, ValueError):
        problems.append(str(_l("Every rubric weight must be a number.")))
    else:
        if criteria and total_weight != 100:
            problems.append(str(_l("The rubric weights must add up to 100.")))
    return problems


def create_program(data: dict[str, Any], *, actor: Any) -> Program:
    _check_issuer_code(data)
    problems = check_version_data(data)
    if problems:
        raise DomainError("; ".join(problems))
    if data["closes_at"] <= data["opens_at"]:
        raise DomainError(_l("The closing time must be after the opening time."), field="closes_at")
    program = Program(**{name: data[name] for name in PROGRAM_FIELDS if name in data})
    program.current_version_number = 1
    db.session.add(program)
    try:
        # Two officers may pick the same code at once; the unique index decides.
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise DomainError(
            _l(
                "Another programme already uses the code “%(code)s”. Choose another.",
                code=program.code,
            ),
            field="code",
        ) from exc
    db.session.add(
        ProgramVersion(
            program_id=program.id,
            number=1,
            created_by_id=getattr(actor, "id", None),
            **{name: data[name] for name in VERSIONED_FIELDS},
        )
    )
    audit.record(Action.PROGRAM_CREATED, program, actor=actor, code=program.code)
    return program


# Whether applications were submitted under a version is the applications domain's to say (it
# sits above this one): it registers its answer when imported (portal/applications/services.py).
_version_in_use: list[Callable[[ProgramVersion], bool]] = []


def answer_version_in_use(check: Callable[[ProgramVersion], bool]) -> None:
    """Register the check that says whether applications were submitted under a version."""
    if check not in _version_in_use:
        _version_in_use.append(check)


def has_submitted_applications(version: ProgramVersion) -> bool:
    return any(check(version) for check in _version_in_use)


# Someone saved the programme after the editor page was drawn: ``by`` (a name, or None for a
# script) at ``at``; ``current_version`` is its lock version now, so that a page that sends it
# back saves over that edit knowingly. The view words the message.
EditedMeanwhile = ConcurrentChange


def _last_edit(program: Program) -> tuple[str | None, datetime | None]:
    """Who saved the programme last, and when."""
    # Every raise of the lock version is recorded with its editor (see update_program).
    last = db.session.execute(
        select(AuditEvent.occurred_at, User.display_name, User.email)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.object_type == Program.__tablename__,
            AuditEvent.object_id == str(program.id),
            AuditEvent.action == "program.updated",
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return None, program.updated_at
    return last.display_name or last.email, last.occurred_at


def update_program(
    program: Program, data: dict[str, Any], *, actor: Any, seen_version: int | None = None
) -> bool:
    """Apply an edit. Returns True when the rules changed and a new version was written.

    ``seen_version`` is the lock version the editor page showed; an edit saved since then
    is not overwritten (``EditedMeanwhile``). None skips the check (scripts, tests)."""
    # The row lock holds off another save between this check and our commit.
    check_not_stale(lock(program), seen_version, changed_by=_last_edit)
    _check_issuer_code(data)
    problems = check_version_data(data)
    if problems:
        raise DomainError("; ".join(problems))
    if data["closes_at"] <= data["opens_at"]:
        raise DomainError(_l("The closing time must be after the opening time."), field="closes_at")
    # Each changed field with its value before and after: the audit log shows both.
    changed = {
        name: (getattr(program, name), data[name])
        for name in PROGRAM_FIELDS
        if name in data and getattr(program, name) != data[name]
    }
    for name in changed:
        setattr(program, name, data[name])
    version = current_version(program)
    rules_changed = any(getattr(version, name) != data[name] for name in VERSIONED_FIELDS)
    new_version = False
    if rules_changed:
        if has_submitted_applications(version):
            # Submitted applications keep the rules they were made under.
            program.current_version_number = version.number + 1
            db.session.add(
                ProgramVersion(
                    program_id=program.id,
                    number=version.number + 1,
                    created_by_id=getattr(actor, "id", None),
                    **{name: data[name] for name in VERSIONED_FIELDS},
                )
            )
            new_version = True
        else:
            for name in VERSIONED_FIELDS:
                setattr(version, name, data[name])
    if changed or rules_changed:
        program.lock_version += 1
        audit.record(
            Action.PROGRAM_UPDATED,
            program,
            actor=actor,
            fields=sorted(changed),
            changes=audit.changes_of(changed),
            rules_changed=rules_changed,
            version=program.current_version_number,
        )
    return new_version


def list_programs() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.closes_at, Program.id)))


def open_programs(now: datetime) -> list[Program]:
    return list(
        db.session.scalars(
            select(Program)
            .where(Program.opens_at <= now, Program.closes_at > now)
            .order_by(Program.closes_at, Program.id)
        )
    )


def versions_by_id(programs: list[Program]) -> dict[int, ProgramVersion]:
    """Current versions of many programmes in one query."""
    if not programs:
        return {}
    wanted = {(p.id, p.current_version_number) for p in programs}
    rows = db.session.scalars(
        select(ProgramVersion).where(ProgramVersion.program_id.in_([p.id for p in programs]))
    ).all()
    return {row.program_id: row for row in rows if (row.program_id, row.number) in wanted}


@dataclass(frozen=True)
class Verdict:
    """Eligibility of one firm for one programme, explained."""

    result: rules.RuleResult
    computation: formulas.Computation

    @property
    def eligible(self) -> bool:
        return self.result.status is rules.Status.PASS

    @property
    def refused(self) -> bool:
        return self.result.status is rules.Status.FAIL

    @property
    def missing(self) -> list:
        return rules.missing_data(self.result)

    @property
    def may_start(self) -> bool:
        """A firm may start unless a rule already fails; project figures come in the form."""
        return not self.refused and not self.missing_profile_data

    @property
    def missing_profile_data(self) -> bool:
        return any(
            leaf.status is rules.Status.MISSING and not _reads_project(leaf)
            for leaf in _leaves(self.result)
        )


def _leaves(result: rules.RuleResult):
    if result.children:
        for child in result.children:
            yield from _leaves(child)
    else:
        yield result


def _reads_project(leaf: rules.RuleResult) -> bool:
    kind = rules.RULE_KINDS.get(leaf.kind or "")
    return bool(kind and kind.reads_project)


def judge(program: Program, version: ProgramVersion, facts: FirmFacts) -> Verdict:
    return Verdict(
        result=rules.evaluate(version.eligibility, facts),
        computation=formulas.compute(version.formula, facts, program.per_firm_cap),
    )
