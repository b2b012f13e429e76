"""WeasyPrint fetch probes beyond tests/integration/test_letter_security.py.

That module puts probes into names and a reason written straight into the database, and feeds
``html_to_pdf`` twenty hostile documents. Here: the reasons officers type into the real forms
(a rejection at the formal check, an upheld objection, a reissue and its corrected reason)
end up in issued letters that fetch nothing and print the probes as text; and more hostile
documents for ``html_to_pdf``: frames and objects, ``file:`` URLs in CSS, ``@import`` in its
string form, data: URLs that point elsewhere, CSS escapes, and other spellings of the loopback
address. Each must leave the listening socket untouched and attach nothing. A control shows
that the new ``file:`` vectors do read local files with WeasyPrint's default fetcher.
"""

from __future__ import annotations

import base64
import logging
import re
import urllib.parse

import pytest

from portal.core.files import file_store
from portal.letters import pdf as pdf_module
from portal.letters.models import Letter
from portal.letters.pdf import LetterRenderFailed, html_to_pdf
from tests.helpers import letters_of
from tests.integration.test_decisions import sign_off_latest
from tests.integration.test_letter_security import assert_attaches_nothing, pdf_text, squash
from tests.security import world as w
from tests.security.forms import fill


def probes(port: int) -> str:
    base = f"http://127.0.0.1:{port}"
    return (
        f'<iframe src="{base}/iframe"></iframe>'
        f'<object data="file:///etc/passwd"></object>'
        f"<style>@import '{base}/import.css';</style>"
        f'<img src="{base}/img">'
        f'<link rel="attachment" href="file:///etc/passwd">'
    )


def drained(listener) -> list:
    """The connections the socket had, once every connection made so far is recorded: a
    sentinel connection is accepted after any earlier one (the backlog is first in, first
    out), so when it shows up, nothing earlier is still on its way."""
    import socket
    import time

    with socket.create_connection(("127.0.0.1", listener.port), timeout=2) as sentinel:
        sentinel.sendall(b"GET /sentinel HTTP/1.0\r\n\r\n")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if any(b"/sentinel" in request for _, request in listener.connections):
            break
        time.sleep(0.005)
    else:
        raise AssertionError("the sentinel never arrived")
    found = [c for c in listener.connections if b"/sentinel" not in c[1]]
    listener.connections.clear()
    return found


def pdfs_of(app, letter: Letter) -> list[bytes]:
    with app.app_context():
        return [file_store().read(letter.pdf_key), file_store().read(letter.pdf_en_key)]


def assert_printed_as_text(app, letter: Letter, typed: str, tmp_path) -> None:
    for pdf in pdfs_of(app, letter):
        assert_attaches_nothing(tmp_path, pdf)
        assert squash(typed) in squash(pdf_text(tmp_path, pdf))


def test_reasons_typed_by_officers_fetch_nothing_and_print_as_text(
    world_app,
    fresh_world,
    listener,
    tmp_path,
):
    app, world = world_app, fresh_world
    typed = "经形式审查不符合申报条件：" + probes(listener.port)
    officer = w.signed_in_client(app, w.OFFICER)

    # A rejection at the formal check: the letter is issued at once.
    page = f"/staff/applications/{world['rd_application']}"
    action = f"{page}/reject"
    response = officer.post(action, data=fill(officer, page, action, reason=typed))
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    (rejection,) = letters_of(app, world["rd_application"])
    assert_printed_as_text(app, rejection, typed, tmp_path)

    # An objection upheld: the note is the reason the firm reads.
    note = "核查属实：" + probes(listener.port)
    page, action = (
        "/staff/decisions/objections",
        f"/staff/decisions/objections/{world['objection']}/resolve",
    )
    data = fill(officer, page, action)
    prefix = f"o{world['objection']}-"
    data[prefix + "outcome"], data[prefix + "note"] = "upheld", note
    response = officer.post(action, data=data)  # the confirmation page (four eyes)
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    response = officer.post(action, data={**data, "confirmed": "1"})  # proposed
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    response = sign_off_latest(app, w.APPROVER)  # the approver signs off: now it is upheld
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    (upheld,) = letters_of(app, world["publicity_application"])
    assert_printed_as_text(app, upheld, note, tmp_path)

    # A reissue: its reason is printed, and so is a corrected rejection reason.
    because = "更正：" + probes(listener.port)
    corrected = "更正后的理由：" + probes(listener.port)
    page = f"/staff/letters/{rejection.id}/reissue"
    data = fill(officer, page, reason=because, rejection_reason=corrected)
    response = officer.post(page, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    reissued = letters_of(app, world["rd_application"])[-1]
    assert reissued.id != rejection.id
    assert_printed_as_text(app, reissued, because, tmp_path)
    assert_printed_as_text(app, reissued, corrected, tmp_path)

    assert drained(listener) == []


# --- html_to_pdf with more hostile documents -------------------------------------------------


def _data_url(mime: str, content: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(content.encode()).decode()


MORE_HOSTILE = {
    "iframe http": '<p>甲</p><iframe src="{base}/iframe"></iframe>',
    "iframe file": '<p>甲</p><iframe src="file:///etc/passwd"></iframe>',
    "iframe srcdoc": '<p>甲</p><iframe srcdoc="<img src={base}/srcdoc>"></iframe>',
    "object file": '<object data="file:///etc/passwd" type="text/plain"></object><p>甲</p>',
    "object svg http": '<object data="{base}/object.svg" type="image/svg+xml"></object><p>甲</p>',
    "embed file": '<embed src="file:///etc/passwd"><p>甲</p>',
    "css url file": "<style>body{{background:url(file://{png})}}</style><p>甲</p>",
    "css url file quoted": "<style>body{{background:url('file://{png}')}}</style><p>甲</p>",
    "css url file one slash": "<style>body{{background:url(file:{png})}}</style><p>甲</p>",
    "css url file localhost": "<style>p{{background:url(file://localhost{png})}}</style><p>甲</p>",
    "inline url file": '<p style="background-image:url(file://{png})">甲</p>',
    "css import file": "<style>@import url(file://{css});</style><p>甲</p>",
    "css import string http": "<style>@import '{base}/string.css';</style><p>甲</p>",
    "css import string file": "<style>@import 'file://{css}';</style><p>甲</p>",
    "font-face file": (
        "<style>@font-face{{font-family:probe;src:url(file:///etc/passwd)}}"
        "p{{font-family:probe}}</style><p>甲</p>"
    ),
    "css escaped url http": "<style>body{{background:u\\72l({base}/escaped)}}</style><p>甲</p>",
    "css upper case URL": "<style>body{{background:URL({base}/upper)}}</style><p>甲</p>",
    "css content url": "<style>p::before{{content:url({base}/content)}}</style><p>甲</p>",
    "css border-image": "<style>p{{border:5px solid;border-image:url({base}/b) 9}}</style>",
    "css image-set": "<style>p{{background:image-set(url({base}/set) 1x)}}</style><p>甲</p>",
    "css list-style file": "<ul style='list-style-image:url(file://{png})'><li>甲</li></ul>",
    "page background": "<style>@page{{background:url({base}/page)}}</style><p>甲</p>",
    "svg image file": (
        '<svg width="20" height="20"><image href="file://{png}" width="20" height="20"/></svg>'
    ),
    "svg use http": '<svg width="20" height="20"><use href="{base}/sprite.svg#a"/></svg><p>甲</p>',
    "img srcset": '<p>甲</p><img srcset="{base}/srcset 1x">',
    "input image": '<p>甲</p><input type="image" src="{base}/input">',
    "video poster": '<p>甲</p><video poster="{base}/poster"></video>',
    "table background": '<table background="{base}/table"><tr><td>甲</td></tr></table>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url={base}/refresh"><p>甲</p>',
    "data css importing http": '<link rel="stylesheet" href="{data_css}"><p>甲</p>',
    "data svg with http image": '<p>甲</p><img src="{data_svg}">',
    "localhost name": '<p>甲</p><img src="http://localhost:{port}/name">',
    "decimal address": '<p>甲</p><img src="http://2130706433:{port}/decimal">',
    "https to the socket": '<p>甲</p><img src="https://127.0.0.1:{port}/tls">',
    "protocol relative": '<p>甲</p><img src="//127.0.0.1:{port}/relative">',
    "ftp": '<p>甲</p><img src="ftp://127.0.0.1:{port}/ftp">',
    "base http then relative css": (
        '<base href="{base}/"><link rel="stylesheet" href="relative.css"><p>甲</p>'
    ),
}


@pytest.fixture
def local_files(tmp_path, listener):
    """A real image and a stylesheet on disk (the stylesheet points at the socket)."""
    from PIL import Image

    png = tmp_path / "probe.png"
    Image.new("RGB", (16, 16), (200, 0, 0)).save(png)
    css = tmp_path / "probe.css"
    css.write_text(f"body {{ background: url(http://127.0.0.1:{listener.port}/from-file-css) }}")
    return {"png": str(png), "css": str(css)}


def _document(case: str, port: int, files: dict[str, str]) -> str:
    base = f"http://127.0.0.1:{port}"
    html = MORE_HOSTILE[case].format(
        base=base,
        port=port,
        png=files["png"],
        css=files["css"],
        data_css=_data_url("text/css", f"@import url({base}/from-data.css);"),
        data_svg=_data_url(
            "image/svg+xml",
            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            f'<image href="{base}/from-data-svg" width="10" height="10"/></svg>',
        ),
    )
    return f'<!DOCTYPE html><html lang="zh-CN"><body>{html}</body></html>'


def _images_in(pdf: bytes) -> int:
    """Raster images in the PDF, wherever drawn (WeasyPrint writes object dictionaries
    uncompressed; a background image sits in a pattern, not in the page's resources)."""
    return len(re.findall(rb"/Subtype\s*/Image", pdf))


@pytest.mark.parametrize("case", sorted(MORE_HOSTILE))
def test_html_to_pdf_fetches_nothing_for_more_probes(
    case,
    listener,
    local_files,
    tmp_path,
    monkeypatch,
):
    if "font-face" in case:
        monkeypatch.setattr(pdf_module, "_shared", {})  # see test_letter_security.py
    document = _document(case, listener.port, local_files)
    try:
        pdf = html_to_pdf(document)
    except LetterRenderFailed:
        pdf = None  # refusing to render is a safe answer
    if pdf is not None:
        assert_attaches_nothing(tmp_path, pdf)
        assert _images_in(pdf) == 0, case  # the local image was not read
    assert drained(listener) == [], case


def test_the_file_probes_do_read_local_files_with_the_default_fetcher(
    listener,
    local_files,
    caplog,
):
    """Without the portal's fetcher the new file: vectors embed the image from the disk and the
    imported stylesheet connects to the socket: "nothing read" above is the fetcher's doing."""
    from weasyprint import HTML

    caplog.set_level(logging.CRITICAL, logger="weasyprint")
    for case in ("css url file", "inline url file", "css list-style file", "svg image file"):
        pdf = HTML(string=_document(case, listener.port, local_files)).write_pdf()
        assert _images_in(pdf) >= 1, case
    HTML(string=_document("css import file", listener.port, local_files)).write_pdf()
    listener.wait_for_connection(timeout=2)
    assert listener.connections, "the stylesheet read from the disk did not connect"
    paths = [
        urllib.parse.urlsplit(req.split(b" ")[1].decode()).path for _, req in listener.connections
    ]
    assert "/from-file-css" in paths
    listener.connections.clear()
