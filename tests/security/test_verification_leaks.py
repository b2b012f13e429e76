"""The public verification pages answer an unknown code (or file) with one and the same page,
which names no firm, programme or letter, and guessing is rate-limited per client address."""

from __future__ import annotations

import io
import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from portal.accounts.models import Enterprise
from portal.core.extensions import db
from portal.letters.models import Letter
from portal.letters.numbering import CODE_ALPHABET, CODE_LENGTH
from portal.programs.models import Program
from tests.helpers import make_pdf
from tests.security.conftest import make_app

TOKEN = re.compile(r'"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}"')
LANGUAGE_NEXT = re.compile(r'(<input id="language-next" name="next" type="hidden" value=")[^"]*"')


def masked(page: bytes) -> bytes:
    """The page without its CSRF tokens (they carry a time) and without the return address of
    the language switch (the page's own address, which the visitor typed)."""
    text = page.decode("utf-8")
    text = TOKEN.sub('"TOKEN"', text)
    return LANGUAGE_NEXT.sub(r'\1HERE"', text).encode("utf-8")


def _real_letter(app, letter_id: int) -> Letter:
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        db.session.expunge(letter)
        return letter


def _secrets(app) -> list[str]:
    """What an unknown code must not reveal: every firm, programme and letter on record."""
    with app.app_context():
        names = list(db.session.scalars(select(Enterprise.name)))
        names += list(db.session.scalars(select(Enterprise.uscc)))
        names += list(db.session.scalars(select(Program.name_zh)))
        names += list(db.session.scalars(select(Program.name_en)))
        names += list(db.session.scalars(select(Letter.number)))
        names += list(db.session.scalars(select(Letter.verification_code)))
    return [name for name in names if name]


def _unknown_codes(real: str) -> list[str]:
    one_off = real[:-1] + next(ch for ch in CODE_ALPHABET if ch != real[-1])
    return [
        CODE_ALPHABET[:CODE_LENGTH],
        one_off,
        one_off.lower(),
        "-".join(re.findall(".{4}", one_off)),
        real[:-1],  # one character short
        real + real[0],  # one too many
        "short",
        "' OR 1=1 --",
        '"><svg onload=alert(1)>',
        "%00",
        "x" * 500,
        "阜科发〔2026〕1号",
    ]


def test_every_unknown_code_gets_the_same_page_that_names_nothing(world_app, fresh_world):
    app = world_app
    real = _real_letter(app, fresh_world["letter"])
    client = app.test_client()
    known = client.get(f"/verify/{real.verification_code}")
    assert known.status_code == 200 and real.number in known.get_data(as_text=True)

    secrets = _secrets(app)
    pages = {}
    for code in _unknown_codes(real.verification_code):
        response = client.get(f"/verify/{code}")
        assert response.status_code == 404, code
        page = response.get_data(as_text=True)
        assert "<svg onload" not in page  # the typed address, shown back escaped
        pages[code] = masked(response.data)
        for secret in secrets:  # (a typed code shows only in the masked return address)
            assert secret not in pages[code].decode("utf-8"), (code, secret)
    first = next(iter(pages.values()))
    different = [code for code, page in pages.items() if page != first]
    assert different == [], different
    # Another visitor, another session: still the same bytes.
    other = app.test_client().get("/verify/" + CODE_ALPHABET[:CODE_LENGTH])
    assert masked(other.data) == first


def test_masking_hides_only_tokens_and_the_return_address(world_app, fresh_world):
    """The comparison above would see any other difference: two real letters' pages differ."""
    real = _real_letter(world_app, fresh_world["letter"])
    client = world_app.test_client()
    known = masked(client.get(f"/verify/{real.verification_code}").data)
    unknown = masked(client.get("/verify/" + CODE_ALPHABET[:CODE_LENGTH]).data)
    assert known != unknown
    assert b"TOKEN" in unknown and b'value="HERE"' in unknown


def test_every_unknown_file_gets_the_same_page_that_names_nothing(world_app, fresh_world):
    client = world_app.test_client()
    secrets = _secrets(world_app)
    pages = set()
    for data in (make_pdf(), make_pdf(pages=2, text="阜科发"), b"not a pdf at all", b"%PDF-1.4"):
        response = client.post(
            "/verify/file",
            data={"file": (io.BytesIO(data), "letter.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert not [secret for secret in secrets if secret in page]
        pages.add(masked(response.data))
    assert len(pages) == 1


def test_the_verify_form_shows_a_typed_code_escaped(world_app, fresh_world):
    response = world_app.test_client().get(
        "/verify", query_string={"code": '"><script>alert(1)</script>'}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert str(escape('"><script>alert(1)</script>')) in page


@pytest.fixture
def limited_app(world_app, fresh_world):
    return make_app(
        {**world_app.config, "RATELIMIT_ENABLED": True, "VERIFY_RATE_LIMIT": "4/minute"}
    )


def test_guessing_codes_is_rate_limited_per_client_address(limited_app, fresh_world):
    real = _real_letter(limited_app, fresh_world["letter"])
    guesser = limited_app.test_client()
    statuses = [guesser.get(f"/verify/{CODE_ALPHABET[i : i + 12]}").status_code for i in range(4)]
    assert statuses == [404] * 4
    # Over the limit even the right code is not looked up, nor a file, nor the form.
    blocked = guesser.get(f"/verify/{real.verification_code}")
    assert blocked.status_code == 429
    assert real.number not in blocked.get_data(as_text=True)
    assert real.enterprise_name not in blocked.get_data(as_text=True)
    upload = {"file": (io.BytesIO(make_pdf()), "letter.pdf")}
    assert guesser.post("/verify/file", data=upload).status_code == 429
    assert guesser.get("/verify", query_string={"code": real.verification_code}).status_code == 429
    # Someone at another address is not held up by the guesser.
    other = limited_app.test_client()
    response = other.get(
        f"/verify/{real.verification_code}", environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert response.status_code == 200 and real.number in response.get_data(as_text=True)
