"""The verification address letters print: the one the portal serves, and doubts said aloud."""

from __future__ import annotations

import pytest

from portal.config import base_url_doubts, base_url_from_env, settings_from_env

EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 (an address to recognise, not to bind)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:5000"),
        ({"PORT": "8000"}, "http://127.0.0.1:8000"),
        ({"HOST": EVERY_INTERFACE, "PORT": "8000"}, "http://127.0.0.1:8000"),
        ({"HOST": "portal.lan", "PORT": "8080"}, "http://portal.lan:8080"),
        ({"HOST": "::1", "PORT": "8000"}, "http://[::1]:8000"),
        ({"PORTAL_BASE_URL": "https://kj.fuxin.gov.cn", "PORT": "8000"}, "https://kj.fuxin.gov.cn"),
    ],
)
def test_base_url_follows_host_and_port_unless_given(env, expected):
    assert base_url_from_env(env) == expected


def test_settings_use_it(tmp_path):
    settings = settings_from_env({"PORT": "8000", "PORTAL_SECRET_KEY": "k"}, tmp_path)
    assert settings["BASE_URL"] == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("base_url", "env"),
    [
        ("http://127.0.0.1:5000", {}),
        ("http://127.0.0.1:8000", {"PORT": "8000"}),
        ("http://127.0.0.1:8000", {"PORT": "8000", "HOST": "127.0.0.1"}),
        # Behind a proxy the public port is the proxy's.
        ("https://kj.fuxin.gov.cn", {"PORT": "8000", "HOST": EVERY_INTERFACE}),
        ("http://portal.lan:8000", {"PORT": "8000", "HOST": "portal.lan"}),
    ],
)
def test_a_right_looking_address_raises_no_doubt(base_url, env):
    assert base_url_doubts(base_url, env) == []


def test_another_port_is_doubted():
    (doubt,) = base_url_doubts("http://127.0.0.1:5000", {"PORT": "8000"})
    assert "port 8000" in doubt


def test_loopback_while_serving_other_hosts_is_doubted():
    (doubt,) = base_url_doubts("http://127.0.0.1:8000", {"PORT": "8000", "HOST": EVERY_INTERFACE})
    assert "loopback" in doubt and "PORTAL_BASE_URL" in doubt


def test_a_malformed_port_is_doubted():
    assert base_url_doubts("http://127.0.0.1:port", {}) != []
