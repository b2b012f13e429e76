"""nginx in front of two hosts (issue 18, Deliver 4): the client address the rate limits count
and the HTTPS the hosts see come from the proxy, and only from it.

The proxy ends TLS on a self-signed certificate (``Cluster(tls=True)``), appends the client's
address to X-Forwarded-For and says ``https`` in X-Forwarded-Proto; the hosts trust one hop
(``PORTAL_PROXY_HOPS=1``). Every test client is on loopback, so each one sends from an address
of its own (any 127.x.y.z is a source address on Linux): to the limiter they are different
people. A host without the proxy setting (a second, one-host cluster) believes no header.
"""

from __future__ import annotations

import itertools
from http.cookiejar import Cookie

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.scale.browser import Browser
from tools.cluster import Cluster

LIMIT = 5  # sign-in attempts per minute and client address
SETTINGS = {"PORTAL_LOGIN_RATE_LIMIT": f"{LIMIT} per minute"}
INVALID = 422  # a sign-in form with an error (no such account)
_unknown = (f"nobody-{n}@example.com" for n in itertools.count())  # no account lock between


class FromAddress(HTTPAdapter):
    """Connections that leave from ``address`` rather than 127.0.0.1."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client(base: str, address: str, *, verify: str | bool = True, **headers: str) -> Browser:
    browser = Browser(base)
    for scheme in ("http://", "https://"):
        browser.session.mount(scheme, FromAddress(address))
    # Not the environment's CA bundle or proxy settings (requests would put REQUESTS_CA_BUNDLE
    # before the session's own ``verify``): the proxy's certificate, straight to loopback.
    browser.session.trust_env = False
    browser.session.verify = verify
    browser.session.headers.update(headers)
    # Flask-WTF asks HTTPS form posts for a same-origin Referer, as a browser sends one.
    browser.session.headers.setdefault("Referer", f"{base}/login")
    return browser


def attempts(browser: Browser, count: int) -> list[int]:
    """``count`` sign-in attempts with one form's CSRF token: one page load, then only posts,
    so that the proxy's round robin sends them to both hosts in turn."""
    token = browser.csrf_token("/login")
    return [
        browser.post(
            "/login", {"email": next(_unknown), "password": "wrong", "csrf_token": token}
        ).status_code
        for _ in range(count)
    ]


@pytest.fixture(scope="module")
def proxied(make_cluster) -> Cluster:
    return make_cluster(13, proxy=True, tls=True, https=True, settings=SETTINGS)


@pytest.fixture(scope="module")
def direct(make_cluster, proxied) -> Cluster:
    """One host reached without the proxy and not told of one. Requested after ``proxied``
    (it flushes the same Redis database: the tests that use it run last)."""
    return make_cluster(
        13, seed=False, hosts=1, job_workers=False, misconfigure=False, settings=SETTINGS
    )


def via(cluster: Cluster, address: str, **headers: str) -> Browser:
    return client(cluster.public_url, address, verify=str(cluster.certificate), **headers)


def test_the_proxy_is_real_and_ends_tls(proxied):
    assert proxied.public_url.startswith("https://")
    with pytest.raises(requests.exceptions.SSLError):  # not a public certificate
        requests.get(f"{proxied.public_url}/healthz", timeout=30)
    answer = via(proxied, "127.0.0.9").get("/healthz")
    assert answer.status_code == 200, answer.text


def test_behind_the_proxy_each_client_address_has_its_own_limit_shared_by_both_hosts(proxied):
    first = via(proxied, "127.0.0.2")
    assert attempts(first, LIMIT + 1) == [INVALID] * LIMIT + [429]
    # Both hosts took the first one's sign-in posts, and the limit still fell after LIMIT of
    # them in all: the hosts count in one place (Redis), not each in its own memory.
    hosts = proxied.proxied_to("127.0.0.2", "POST /login")
    assert len(hosts) == LIMIT + 1
    assert set(hosts) == {0, 1}, f"the proxy did not share the posts out: {hosts}"

    second = via(proxied, "127.0.0.3")
    assert attempts(second, 1) == [INVALID], "another address was limited with the first"
    assert attempts(first, 1) == [429]


def test_behind_the_proxy_a_forged_forwarded_for_does_not_escape_the_limit(proxied):
    forger = via(proxied, "127.0.0.4", **{"X-Forwarded-For": "203.0.113.9"})
    # nginx appends the real address and the host trusts only that last hop: the forger is
    # counted as 127.0.0.4, whatever it claims.
    assert attempts(forger, LIMIT + 1) == [INVALID] * LIMIT + [429]
    forger.session.headers["X-Forwarded-For"] = "198.51.100.7"
    assert attempts(forger, 1) == [429]
    # ... and 203.0.113.9, the address it named, was not charged for it.
    assert attempts(via(proxied, "127.0.0.5"), 1) == [INVALID]


def _session_cookie(browser: Browser) -> Cookie:
    cookies = [c for c in browser.session.cookies if c.name == "session"]
    assert cookies, f"no session cookie: {list(browser.session.cookies)}"
    return cookies[0]


def test_behind_the_proxy_over_https_the_session_is_secure(proxied):
    person = via(proxied, "127.0.0.6")
    page = person.get("/login")
    assert page.status_code == 200
    headers = [h for h in page.raw.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert headers, page.headers
    flags = {part.strip().lower() for part in headers[0].split(";")}
    assert {"secure", "httponly", "samesite=lax"} <= flags, headers[0]
    assert page.headers.get("Strict-Transport-Security", "").startswith("max-age=")

    signed_in = person.sign_in("officer@example.com", allow_redirects=False)
    assert signed_in.status_code == 302, signed_in.text[-2000:]
    assert _session_cookie(person).secure
    location = signed_in.headers["Location"]
    assert not location.startswith("http:"), location  # relative, or absolute with https
    # Signed in on every host: the proxy alternates, the secret and the session are shared.
    for _ in range(4):
        home = person.get(location)
        assert home.status_code == 200
        assert 'action="/logout"' in home.text
        assert home.headers.get("Strict-Transport-Security")
        assert home.url.startswith(proxied.public_url)


def test_behind_the_proxy_the_hosts_see_https(proxied):
    """Flask-WTF checks the Referer of a form post only on a request it sees as HTTPS, and
    wants it from the same origin, scheme included: a Referer with http:// is refused, so the
    hosts believe the proxy's X-Forwarded-Proto."""
    person = via(proxied, "127.0.0.7")
    account = {"email": "officer@example.com", "password": "Demo-Portal-2026"}
    plain = proxied.public_url.replace("https://", "http://")
    refused = person.submit(
        "/login", account, headers={"Referer": f"{plain}/login"}, allow_redirects=False
    )
    assert refused.status_code == 400, refused.status_code
    accepted = person.submit("/login", account, allow_redirects=False)  # the https Referer
    assert accepted.status_code == 302, accepted.status_code


def test_without_the_proxy_a_forged_forwarded_for_changes_nothing(direct):
    forged = (f"203.0.113.{n}" for n in itertools.count(10))
    forger = client(direct.public_url, "127.0.0.4", **{"X-Forwarded-For": next(forged)})
    token = forger.csrf_token("/login")
    statuses = []
    for _ in range(LIMIT + 1):
        # A new address claimed on every attempt: a host that believed it would never limit.
        forger.session.headers["X-Forwarded-For"] = next(forged)
        statuses.append(
            forger.post(
                "/login", {"email": next(_unknown), "password": "x", "csrf_token": token}
            ).status_code
        )
    assert statuses == [INVALID] * LIMIT + [429]
    assert attempts(client(direct.public_url, "127.0.0.5"), 1) == [INVALID]
