"""How a released award's amount came about, in plain words: the formula amount, the approved
amount, the pro-rata scaling when the programme's budget was short, the rounding, the result.

The firm's application page and the decision letter print the same explanation, so both call
``explain_award``. The arithmetic is in ``describe_award`` (pure, no database); ``explain_award``
reads what the release recorded and feeds it in.

Where the scaling factor comes from: ``decisions.release_decisions`` scales the pending approvals
by (what the budget leaves) / (their sum) with ``formulas.pro_rata`` and records, on each
application's ``application.release_approval`` event, the amount it released and, when scaling
changed it, ``amount_before_pro_rata``. A factor recorded on that event (``pro_rata_ratio``) is
used as it is; otherwise it is reconstructed from the release (the programme's budget less the
awards released before it, over the sum of the approvals released with it) and used only if it
reproduces the recorded amount: a ratio is never printed that did not produce the award.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.applications.models import Application
from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.money import format_money, to_cents
from portal.programs import formulas
from portal.review.decision_rules import APPROVE, RELEASED_AWARDS

# The step ``formulas.pro_rata`` rounds scaled awards down to, read from its signature so that
# the explanation cannot drift from the computation (the release uses the default).
PRO_RATA_STEP: Decimal = inspect.signature(formulas.pro_rata).parameters["step"].default
RATIO_PLACES = Decimal("0.0001")  # 0.8475: enough to recompute an award to the yuan
RELEASE_ACTION = "application.release_approval"


@dataclass(frozen=True)
class AwardExplanation:
    """A released award explained. Amounts are yuan (``Decimal``, two places).

    ``pro_rata_ratio`` is the scaling factor cut to four places (0.8475), None when the award
    was not scaled or the factor is unknown (then ``scaled`` is still True); ``scaled_amount``
    is the approved amount times the factor, before rounding; ``rounding_step`` the multiple it
    was rounded down to (100 yuan); ``sentences`` the explanation in the current locale."""

    formula_amount: Decimal | None
    approved_amount: Decimal  # the decision's amount before any scaling
    scaled: bool
    pro_rata_ratio: Decimal | None
    scaled_amount: Decimal | None
    rounding_step: Decimal | None
    released_amount: Decimal  # what the release gave (after scaling and rounding)
    final_amount: Decimal  # the award now (differs from the released one after a correction)
    sentences: tuple[str, ...]
    # What the factor divided, when known: what was left of the budget, and the approvals
    # released together (before scaling). Printed as the factor itself, so the sum is exact.
    budget_available: Decimal | None = None
    approved_total: Decimal | None = None


def explain_award(application: Application) -> AwardExplanation | None:
    """The explanation of the application's award, or None when there is no released approval
    (nothing is explained to anyone before the decision is released, and a rejection has no
    amount). Sentences are in the current locale (wrap the call in ``force_locale`` for a
    letter in another language). At most three small queries."""
    if (
        application.released_at is None
        or application.decision != APPROVE
        or application.decided_amount is None
    ):
        return None
    summary = _release_summary(application)
    released = _decimal(summary.get("amount")) or application.decided_amount
    before = _decimal(summary.get("amount_before_pro_rata"))
    ratio: Fraction | None = None
    basis: tuple[Decimal, Decimal] | None = None
    if before is not None and before != released:
        basis = _recorded_basis(summary) or _reconstructed_basis(application)
        ratio = Fraction(basis[0]) / Fraction(basis[1]) if basis else _recorded_ratio(summary)
        if ratio is not None and _scale(before, ratio, PRO_RATA_STEP) != released:
            ratio = basis = None  # it would not reproduce the award: say less, not wrongly
    return describe_award(
        formula_amount=application.formula_amount,
        approved_amount=before if before is not None else released,
        released_amount=released,
        final_amount=application.decided_amount,
        ratio=ratio,
        basis=basis,
        step=PRO_RATA_STEP,
    )


def describe_award(
    *,
    formula_amount: Decimal | None,
    approved_amount: Decimal,
    released_amount: Decimal,
    final_amount: Decimal,
    ratio: Fraction | Decimal | None,
    basis: tuple[Decimal, Decimal] | None = None,
    step: Decimal = PRO_RATA_STEP,
) -> AwardExplanation:
    """The explanation from the figures alone (pure: no database, for tests and letters).

    The award was scaled when ``released_amount`` is below ``approved_amount``; ``ratio`` is
    the exact factor used then (None when unknown), ``basis`` what it divided (what was left
    of the budget, the approvals' total) when known: the factor is then printed as that
    division, so that the sum shown is exact whatever the decimals."""
    scaled = released_amount < approved_amount
    if basis is not None:
        ratio = Fraction(basis[0]) / Fraction(basis[1])
    exact = Fraction(ratio) if scaled and ratio is not None else None
    shown_ratio = _cut(exact) if exact is not None else None
    scaled_amount = to_cents(Decimal(approved_amount) * _as_decimal(exact)) if exact else None
    sentences: list[str] = []
    if formula_amount is not None:
        sentences.append(
            _("The programme's formula gives %(amount)s yuan.", amount=format_money(formula_amount))
        )
    if formula_amount is None or approved_amount != formula_amount:
        sentences.append(
            _("The bureau approved %(amount)s yuan.", amount=format_money(approved_amount))
        )
    if scaled and basis is not None and exact is not None and scaled_amount is not None:
        sentences.append(
            _(
                "What was left of the programme's budget, %(available)s yuan, covered "
                "%(percent)s %% of the %(total)s yuan approved, so every award was multiplied "
                "by %(available)s / %(total)s: %(approved)s yuan became %(scaled)s yuan, "
                "rounded down to the nearest %(step)s yuan: %(released)s yuan.",
                available=format_money(basis[0]),
                total=format_money(basis[1]),
                percent=_percent(exact),
                approved=format_money(approved_amount),
                scaled=format_money(scaled_amount),
                step=_whole(step),
                released=format_money(released_amount),
            )
        )
    elif scaled and exact is not None and shown_ratio is not None and scaled_amount is not None:
        sentences.append(
            _(
                "The programme's budget covered %(percent)s %% of all approved amounts, so "
                "every award was scaled by %(ratio)s: %(approved)s yuan became %(scaled)s yuan, "
                "rounded down to the nearest %(step)s yuan: %(released)s yuan.",
                percent=_percent(exact),
                ratio=str(shown_ratio),
                approved=format_money(approved_amount),
                scaled=format_money(scaled_amount),
                step=_whole(step),
                released=format_money(released_amount),
            )
        )
    elif scaled:
        sentences.append(
            _(
                "The programme's budget did not cover all approved amounts, so every award was "
                "scaled down in the same proportion and rounded down to the nearest %(step)s "
                "yuan: %(released)s yuan.",
                step=_whole(step),
                released=format_money(released_amount),
            )
        )
    if final_amount != released_amount:
        sentences.append(
            _(
                "The bureau later corrected the award to %(amount)s yuan.",
                amount=format_money(final_amount),
            )
        )
    else:
        sentences.append(_("The award is %(amount)s yuan.", amount=format_money(final_amount)))
    return AwardExplanation(
        formula_amount=formula_amount,
        approved_amount=approved_amount,
        scaled=scaled,
        pro_rata_ratio=shown_ratio,
        scaled_amount=scaled_amount,
        rounding_step=step if scaled else None,
        released_amount=released_amount,
        final_amount=final_amount,
        sentences=tuple(sentences),
        budget_available=basis[0] if scaled and basis else None,
        approved_total=basis[1] if scaled and basis else None,
    )


# --- what the release recorded ----------------------------------------------------------------


def _release_summary(application: Application) -> dict[str, Any]:
    """The summary of the application's latest approval release (empty when none is found)."""
    summary = db.session.scalar(
        select(AuditEvent.summary)
        .where(AuditEvent.application_id == application.id, AuditEvent.action == RELEASE_ACTION)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    return dict(summary or {})


def _recorded_ratio(summary: dict[str, Any]) -> Fraction | None:
    value = summary.get("pro_rata_ratio")
    if value in (None, ""):
        return None
    try:
        ratio = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None
    return ratio if 0 < ratio < 1 else None


def _recorded_basis(summary: dict[str, Any]) -> tuple[Decimal, Decimal] | None:
    """(what was left of the budget, the approvals' total) from a recorded "available/total"."""
    available, _, total = str(summary.get("pro_rata_ratio") or "").partition("/")
    left, whole = _decimal(available), _decimal(total)
    if left is None or whole is None or not 0 < left < whole:
        return None
    return left, whole


def _reconstructed_basis(application: Application) -> tuple[Decimal, Decimal] | None:
    """(budget − awards released before this release, sum of the approvals released with
    it, before scaling): what ``decisions._released_amounts`` divided. Two queries."""
    released_at: datetime = application.released_at  # type: ignore[assignment]
    batch = db.session.execute(
        select(AuditEvent.summary)
        .join(Application, AuditEvent.application_id == Application.id)
        .where(
            AuditEvent.action == RELEASE_ACTION,
            Application.program_id == application.program_id,
            Application.released_at == released_at,
        )
    ).scalars()
    total = Decimal(0)
    for summary in batch:
        amount = _decimal((summary or {}).get("amount_before_pro_rata")) or _decimal(
            (summary or {}).get("amount")
        )
        total += amount or Decimal(0)
    earlier = db.session.scalar(
        select(func.coalesce(func.sum(Application.decided_amount), 0)).where(
            Application.program_id == application.program_id,
            Application.decision == APPROVE,
            Application.released_at < released_at,
            Application.status.in_(RELEASED_AWARDS),
        )
    )
    available = Decimal(application.program.budget) - (_decimal(earlier) or Decimal(0))
    if total <= 0 or available <= 0 or available >= total:
        return None
    return available, total


# --- numbers ------------------------------------------------------------------------------------


def _scale(amount: Decimal, ratio: Fraction, step: Decimal) -> Decimal:
    """``formulas.pro_rata`` for one amount: times the factor, down to a multiple of step."""
    unit = Fraction(step)
    return to_cents(step * math.floor(Fraction(amount) * ratio / unit))


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _as_decimal(ratio: Fraction | None) -> Decimal:
    assert ratio is not None
    return Decimal(ratio.numerator) / Decimal(ratio.denominator)


def _cut(ratio: Fraction) -> Decimal:
    return _as_decimal(ratio).quantize(RATIO_PLACES, rounding=ROUND_DOWN)


def _percent(ratio: Fraction) -> str:
    """The share covered, to two places (rounded: it is read, never multiplied)."""
    return str((_as_decimal(ratio) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _whole(amount: Decimal) -> str:
    return format_money(amount).removesuffix(".00")
