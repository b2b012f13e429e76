"""Links mailed to an account's owner (resetting a password, finishing a registration).

A link carries a signed token (itsdangerous: salted per purpose, time-limited) naming the
account and a fingerprint of something that using the link changes (the password hash; the
address while unconfirmed). Once that changes, every earlier link stops working, so a link
works once; a link that is old, altered or made for another purpose names no one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class SignedLink:
    salt: str

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=self.salt)

    def make(self, user_id: int, print_: str) -> str:
        return self._serializer().dumps({"u": user_id, "f": print_})

    def read(self, token: str, max_age_seconds: int) -> tuple[int, str] | None:
        """The account id and fingerprint a valid token carries, or None."""
        try:
            payload: Any = self._serializer().loads(token, max_age=max_age_seconds)
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
            return None
        return payload["u"], str(payload.get("f"))
