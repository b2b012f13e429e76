"""Firms and officers type amounts the same way: one money field reads "1,000,000" for both,
and refuses "0.001" beside the field, keeping what was typed."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEvent
from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.profiles.models import EnterpriseYear
from tests.helpers import sign_in, use_english
from tests.integration.test_decisions import (
    RD,
    decide,
    load,
    make_application,
    make_firm,
    officer_client,
    set_program,
    text_of,
)

FIRM = "ent4@example.com"
TOO_PRECISE = "Enter the amount in yuan with at most two decimals."


def _profile_form(client) -> dict[str, str]:
    """Every field of the profile form as the page renders it, selects with their choice."""
    page = client.get("/profile").get_data(as_text=True)
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    for name in re.findall(r'<select[^>]*name="([^"]+)"', page):
        data.setdefault(name, "")
    for name, value in re.findall(
        r'<select[^>]*name="([^"]+)"[^>]*>.*?<option selected value="([^"]*)"', page, re.S
    ):
        data[name] = value
    return data


def _post_rd_expense(client, typed: str):
    """The profile as it is, with last year's R&D expense typed as ``typed``."""
    data = _profile_form(client)
    last_year = str(bureau_today().year - 1)
    row = next(k for k, v in data.items() if k.endswith("-year") and v == last_year)
    field = row.removesuffix("-year") + "-rd_expense"
    data[field] = typed
    return client.post("/profile", data=data), field


def _saved_with_rd_expense(app, amount: Decimal) -> int:
    """How many firms have ``amount`` as last year's R&D expense."""
    with app.app_context():
        return len(
            db.session.scalars(
                select(EnterpriseYear.id).where(
                    EnterpriseYear.year == bureau_today().year - 1,
                    EnterpriseYear.rd_expense == amount,
                )
            ).all()
        )


def _profile_updates(app) -> int:
    with app.app_context():
        return len(
            db.session.scalars(
                select(AuditEvent.id).where(AuditEvent.action == "profile.updated")
            ).all()
        )


@pytest.fixture
def firm(app, client, demo):
    sign_in(client, FIRM)
    use_english(client)
    return client


@pytest.fixture
def approvable(app, demo) -> int:
    set_program(app, RD, budget=Decimal("9000000"))
    return make_application(app, RD, make_firm(app, 1), requested="1000000", formula="1000000")


def test_the_firm_figures_accept_thousands_separators(app, firm):
    before = _saved_with_rd_expense(app, Decimal("1000000"))
    response, _field = _post_rd_expense(firm, "1,000,000")
    assert response.status_code == 302, text_of(response)[:2000]
    assert _saved_with_rd_expense(app, Decimal("1000000")) == before + 1


def test_an_officer_amount_accepts_the_same_spelling(app, approvable):
    response = decide(officer_client(app), app, approvable, "approve", "1,000,000")
    assert response.status_code == 302, text_of(response)[:2000]
    assert load(app, approvable).decided_amount == Decimal("1000000.00")


def test_the_firm_figures_refuse_a_fraction_of_a_cent_beside_the_field(app, firm):
    updates = _profile_updates(app)
    response, field = _post_rd_expense(firm, "0.001")
    page = text_of(response)
    assert response.status_code == 422
    assert re.search(rf'<p class="field__error" id="{field}-error">{re.escape(TOO_PRECISE)}', page)
    assert 'value="0.001"' in page  # what was typed is kept
    assert _profile_updates(app) == updates  # nothing saved, not even 0.00


def test_an_officer_amount_refuses_a_fraction_of_a_cent_beside_the_field(app, approvable):
    response = decide(officer_client(app), app, approvable, "approve", "0.001")
    page = text_of(response)
    assert response.status_code == 422
    assert re.search(rf'id="a{approvable}-amount-error">.*?{re.escape(TOO_PRECISE)}', page, re.S)
    assert 'value="0.001"' in page
    assert load(app, approvable).decision is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("NaN", "Enter an amount in yuan, for example 150000.00."),
        ("1e400", "Enter an amount in yuan, for example 150000.00."),
        ("-5", "Enter an amount of 0 or more."),
        ("1234567890123", "Enter an amount from 0 to 999,999,999,999."),
    ],
)
def test_the_firm_figures_say_why_an_amount_is_refused(app, firm, typed, message):
    response, field = _post_rd_expense(firm, typed)
    page = text_of(response)
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error">{re.escape(message)}', page)
    assert f'value="{typed}"' in page
