"""Private pages are never cached (issue 12, item 7): every response to a signed-in person and
every error page says ``Cache-Control: no-store``; anonymous pages may be kept only to ask again
(``no-cache``: their forms carry a session's CSRF token); static files keep Flask's conditional
caching."""

from __future__ import annotations

import pytest

from tests.helpers import sign_in

SIGNED_IN_PAGES = {
    "ent1@example.com": ["/", "/applications", "/profile", "/notifications", "/programmes"],
    "officer@example.com": ["/staff/applications", "/staff/dashboard", "/staff/decisions"],
    "admin@example.com": ["/admin/accounts", "/admin/audit"],
    "reviewer1@example.com": ["/review"],
}


@pytest.mark.parametrize("email", sorted(SIGNED_IN_PAGES))
def test_every_page_of_a_signed_in_person_is_no_store(app, demo, email):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    for path in SIGNED_IN_PAGES[email]:
        response = client.get(path)
        assert response.status_code in (200, 302), path
        assert "no-store" in response.headers.get("Cache-Control", ""), path


@pytest.mark.parametrize(
    ("path", "status"),
    [("/no/such/page", 404), ("/staff/applications", 302), ("/applications/999999", 302)],
)
def test_anonymous_pages_are_revalidated_and_errors_never_kept(app, demo, path, status):
    response = app.test_client().get(path)
    assert response.status_code == status
    expected = "no-store" if status >= 400 else "no-cache"
    assert response.headers.get("Cache-Control") == expected


def test_a_signed_in_persons_error_pages_and_refusals_are_no_store(app, demo):
    client = app.test_client()
    assert sign_in(client, "ent1@example.com").status_code == 302
    for path, status in (("/staff/applications", 403), ("/applications/999999", 404)):
        response = client.get(path)
        assert response.status_code == status, path
        assert response.headers.get("Cache-Control") == "no-store", path


def test_public_pages_and_static_files_keep_sensible_caching(app, demo):
    client = app.test_client()
    for path in ("/", "/programmes", "/publicity", "/verify", "/login"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers.get("Cache-Control") == "no-cache", path
    css = client.get("/static/css/portal.css")
    assert css.status_code == 200
    assert "no-store" not in (css.headers.get("Cache-Control") or "")
    assert css.headers.get("ETag")  # a browser asks again cheaply (304)
