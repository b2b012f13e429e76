"""Sign-in throttling that strangers cannot turn against the owner, and whose timing tells
nothing (issue 12, items 4 and 5).

Failures lock an account for the client address they came from; the owner at their usual
address signs in still. A slower account-wide back-off answers an attack spread over many
addresses. The state lives in the database, so every process sees it. A locked account and a
locked unknown address cost the same time to answer.
"""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy import select, update

from portal.accounts.models import SignInThrottle
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from tests.helpers import DEMO_PASSWORD
from tests.security.conftest import make_app

MAX_FAILURES = 3
GLOBAL_MAX = 7
OWNER = "officer@example.com"
OWNER_ADDRESS = "127.0.0.1"
STRANGER_ADDRESS = "203.0.113.9"
UNKNOWN = "nobody-here@example.com"


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "LOGIN_MAX_FAILURES": MAX_FAILURES,
        "LOGIN_GLOBAL_MAX_FAILURES": GLOBAL_MAX,
        "LOGIN_BACKOFF_SECONDS": 30,
    }


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _attempt(client, email: str, password: str) -> int:
    return client.post("/login", data={"email": email, "password": password}).status_code


def test_a_stranger_elsewhere_does_not_lock_the_owner_out(app, demo):
    stranger = _client(app, STRANGER_ADDRESS)
    for _ in range(MAX_FAILURES):
        assert _attempt(stranger, OWNER, "wrong-password") == 422
    # The stranger is locked out, even with the right password ...
    assert _attempt(stranger, OWNER, DEMO_PASSWORD) == 422
    # ... the owner at the usual address is not.
    owner = _client(app, OWNER_ADDRESS)
    assert _attempt(owner, OWNER, DEMO_PASSWORD) == 302
    assert owner.get("/home").status_code == 200


def test_the_lock_is_kept_in_the_database_for_every_process(app, app_config, demo):
    stranger = _client(app, STRANGER_ADDRESS)
    for _ in range(MAX_FAILURES):
        _attempt(stranger, OWNER, "wrong-password")
    with app.app_context():
        row = db.session.scalar(
            select(SignInThrottle).where(SignInThrottle.client == STRANGER_ADDRESS)
        )
        assert row is not None and row.locked_until is not None
    other_process = make_app(app_config)  # its own memory: only the database is shared
    assert _attempt(_client(other_process, STRANGER_ADDRESS), OWNER, DEMO_PASSWORD) == 422
    assert _attempt(_client(other_process, OWNER_ADDRESS), OWNER, DEMO_PASSWORD) == 302


def test_an_attack_from_many_addresses_meets_the_account_wide_back_off(app, demo):
    # Each address stays below its own lock; together they pass the account-wide limit.
    for n in range(GLOBAL_MAX):
        address = f"198.51.100.{n // (MAX_FAILURES - 1) + 1}"
        assert _attempt(_client(app, address), OWNER, "wrong-password") == 422
    # Now every address waits, the owner's too, and the right password does not help.
    owner = _client(app, OWNER_ADDRESS)
    response = owner.post("/login", data={"email": OWNER, "password": DEMO_PASSWORD})
    assert response.status_code == 422
    assert "锁定" in response.get_data(as_text=True)
    # The back-off is short: once it has run out, the owner signs in.
    with app.app_context():
        db.session.execute(update(SignInThrottle).values(locked_until=utcnow()))
        db.session.commit()
    assert _attempt(owner, OWNER, DEMO_PASSWORD) == 302


def test_an_unknown_address_meets_the_same_back_off(app, demo):
    """The answers do not tell which addresses have accounts, the back-off included."""
    for n in range(GLOBAL_MAX):
        address = f"198.51.100.{n // (MAX_FAILURES - 1) + 1}"
        assert _attempt(_client(app, address), UNKNOWN, "wrong-password") == 422
    page = _client(app, OWNER_ADDRESS).post(
        "/login", data={"email": UNKNOWN, "password": "wrong-password"}
    )
    assert page.status_code == 422 and "锁定" in page.get_data(as_text=True)


# --- timing ------------------------------------------------------------------------------------


@pytest.fixture
def timing_app(app_config):
    """The production hash (scrypt): what an attacker would time."""
    return make_app({**app_config, "PASSWORD_HASH_METHOD": "scrypt"})


def _median_time(client, email: str, tries: int) -> float:
    times = []
    for _ in range(tries):
        started = time.perf_counter()
        assert _attempt(client, email, "wrong-password") == 422
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def test_a_locked_account_and_a_locked_unknown_address_take_the_same_time(timing_app):
    from portal.demo import seed_demo_data

    with timing_app.app_context():
        seed_demo_data()
        db.session.commit()
    client = timing_app.test_client()
    for email in (OWNER, UNKNOWN):
        for _ in range(MAX_FAILURES):
            _attempt(client, email, "wrong-password")
    _median_time(client, OWNER, 2)  # warm up both paths
    _median_time(client, UNKNOWN, 2)
    known = _median_time(client, OWNER, 15)
    unknown = _median_time(client, UNKNOWN, 15)
    difference = abs(known - unknown)
    print(
        f"median answer: locked account {known * 1000:.1f} ms, locked unknown address "
        f"{unknown * 1000:.1f} ms, difference {difference * 1000:.1f} ms"
    )
    # Far looser than one hash check: a difference an attacker could use would be a whole one.
    assert difference <= max(0.5 * max(known, unknown), 0.040)
