"""Password hashing with the method the configuration names (scrypt by default), and the rule
that refuses passwords an attacker would try first.

Guessability is judged by zxcvbn (Dropbox's estimator, MIT): it ships its lists as data (the
30,000 most common passwords of a leaked-password corpus, English words, names) and recognises
repeats, keyboard rows, number runs, dates and the user's own details, so nothing is fetched at
run time.
"""

from __future__ import annotations

from enum import Enum

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 10
# zxcvbn's estimate of the guesses an attacker needs: below a million (its scores 0 and 1) a
# password falls to an online attack that a lockout only slows down.
MIN_GUESSES = 1_000_000
# zxcvbn's own limit; a longer password is judged by its first 72 characters.
_ESTIMATE_LENGTH = 72

# Checked against when the email is unknown, so a failed sign-in takes the same time either way.
_DUMMY_HASH_CACHE: dict[str, str] = {}


class Weakness(Enum):
    """Why a password is refused, so the message can say it."""

    COMMON = "common"  # among the most used passwords
    REPEAT = "repeat"  # one character, or a short piece, repeated
    RUN = "run"  # a keyboard row or a run of letters or digits
    PERSONAL = "personal"  # made from the email address
    GUESSABLE = "guessable"  # otherwise too easy to guess


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def burn_password_check(password: str) -> None:
    """Spend what checking a password costs, where no real hash is checked (an unknown
    address, a locked account), so that the answer's timing tells nothing."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASH_CACHE:
        _DUMMY_HASH_CACHE[method] = generate_password_hash("not-a-real-password", method=method)
    check_password_hash(_DUMMY_HASH_CACHE[method], password)


def _email_words(email: str) -> list[str]:
    local, _, domain = email.strip().lower().partition("@")
    words = [email.strip().lower(), local, domain]
    words += [part for part in local.replace("-", ".").replace("_", ".").split(".") if part]
    return [word for word in words if len(word) >= 3]


def password_weakness(password: str, email: str = "") -> Weakness | None:
    """Why ``password`` is too easy to guess, or None when it is not."""
    user_inputs = _email_words(email)
    result = zxcvbn(password[:_ESTIMATE_LENGTH], user_inputs=user_inputs)
    if float(result["guesses"]) >= MIN_GUESSES:
        return None
    patterns = result["sequence"]
    if any(m.get("dictionary_name") == "user_inputs" for m in patterns):
        return Weakness.PERSONAL
    if any(m.get("dictionary_name") == "passwords" for m in patterns):
        return Weakness.COMMON
    kinds = {m["pattern"] for m in patterns}
    if "repeat" in kinds:
        return Weakness.REPEAT
    if kinds & {"sequence", "spatial"}:
        return Weakness.RUN
    return Weakness.GUESSABLE
