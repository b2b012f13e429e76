"""A firm's standing with the bureau after earlier awards: reports it owes past their date and
bans in its credit record. Eligibility reads them like any other fact about the firm.

They are kept by the post-award stage (``portal.payments``), which sits above this domain: it
registers its providers here at start-up, so that eligibility asks without importing it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from portal.programs.facts import CreditBan, OverdueReport, Standing

StandingProvider = Callable[[int, date], Standing]

_providers: list[StandingProvider] = []


def register_standing_provider(provider: StandingProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def standing_of(enterprise_id: int, as_of: date) -> Standing:
    """Everything the registered providers know of the firm on ``as_of``, together."""
    overdue: list[OverdueReport] = []
    bans: list[CreditBan] = []
    for provider in _providers:
        part = provider(enterprise_id, as_of)
        overdue.extend(part.overdue_reports)
        bans.extend(part.bans)
    return Standing(overdue_reports=tuple(overdue), bans=tuple(bans))
