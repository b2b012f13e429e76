"""Fixtures of the fault suite: unhandled errors become the portal's 500 page, as in
production (Flask re-raises them in tests by default)."""

from __future__ import annotations

import pytest

from tests.fault.support import FIRM, OFFICER, client_for


@pytest.fixture
def app_config(app_config) -> dict:
    return {**app_config, "PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def firm(app, demo):
    return client_for(app, FIRM)


@pytest.fixture
def officer(app, demo):
    return client_for(app, OFFICER)
