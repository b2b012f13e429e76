"""The form checks of a bank account a firm enters for its award (pure: no database).

The account must be the firm's own: its name equals the registered enterprise name exactly
(spaces at the ends aside). The bank and the branch are named; the account number is 8 to 30
digits, and the spaces people type to group it are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

ACCOUNT_NUMBER_MIN = 8
ACCOUNT_NUMBER_MAX = 30
BANK_NAME_MIN = 2
BANK_NAME_MAX = 100
BRANCH_NAME_MIN = 2
BRANCH_NAME_MAX = 100
ACCOUNT_NAME_MAX = 200

# Spaces (ASCII, full-width, no-break) and hyphens people use to group the digits.
_GROUPING = re.compile(r"[\s\u3000\u00a0-]+")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


@dataclass(frozen=True)
class BankAccountInput:
    account_name: str
    bank_name: str
    branch_name: str
    account_number: str


@dataclass(frozen=True)
class CheckedAccount:
    """The account as it is stored, or the problems beside each field (field name -> text)."""

    value: BankAccountInput | None
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def normalise_account_number(typed: str) -> str:
    """Digits only: grouping spaces and hyphens dropped, full-width digits made ASCII."""
    return _GROUPING.sub("", (typed or "").translate(_FULL_WIDTH_DIGITS))


def _trim(value: str | None) -> str:
    return (value or "").strip().replace("\u3000", " ").strip()


def name_mismatch(account_name: str, registered_name: str) -> str | None:
    """Why the account name is not the registered name, or None when they are equal."""
    typed, registered = _trim(account_name), _trim(registered_name)
    if not typed:
        return str(_l("Enter the account name: the enterprise's registered name."))
    if typed == registered:
        return None
    return str(
        _l(
            "The account name must be exactly the enterprise's registered name “%(registered)s”; "
            "you entered “%(typed)s”. Awards are paid only into an account in the firm's own name.",
            registered=registered,
            typed=typed,
        )
    )


def check_bank_account(typed: BankAccountInput, registered_name: str) -> CheckedAccount:
    problems: dict[str, str] = {}
    account_name = _trim(typed.account_name)
    bank_name = _trim(typed.bank_name)
    branch_name = _trim(typed.branch_name)
    number = normalise_account_number(typed.account_number)

    mismatch = name_mismatch(account_name, registered_name)
    if mismatch:
        problems["account_name"] = mismatch
    if not BANK_NAME_MIN <= len(bank_name) <= BANK_NAME_MAX:
        problems["bank_name"] = str(
            _l(
                "Enter the bank's name (%(min)d to %(max)d characters), e.g. 中国工商银行.",
                min=BANK_NAME_MIN,
                max=BANK_NAME_MAX,
            )
        )
    if not BRANCH_NAME_MIN <= len(branch_name) <= BRANCH_NAME_MAX:
        problems["branch_name"] = str(
            _l(
                "Enter the branch where the account is held (%(min)d to %(max)d characters).",
                min=BRANCH_NAME_MIN,
                max=BRANCH_NAME_MAX,
            )
        )
    if not number:
        problems["account_number"] = str(_l("Enter the account number."))
    elif not number.isdigit() or not number.isascii():
        problems["account_number"] = str(
            _l("An account number has digits only (spaces between groups are fine).")
        )
    elif not ACCOUNT_NUMBER_MIN <= len(number) <= ACCOUNT_NUMBER_MAX:
        problems["account_number"] = str(
            _l(
                "An account number has %(min)d to %(max)d digits; you entered %(count)d.",
                min=ACCOUNT_NUMBER_MIN,
                max=ACCOUNT_NUMBER_MAX,
                count=len(number),
            )
        )
    if problems:
        return CheckedAccount(None, problems)
    return CheckedAccount(BankAccountInput(account_name, bank_name, branch_name, number))


def masked_number(number: str) -> str:
    """The number as lists show it: the last four digits only (···· 1234)."""
    return f"···· {number[-4:]}" if len(number) > 4 else number


def grouped_number(number: str) -> str:
    """The number in groups of four, as people read it from a bank card."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
