"""Letters are rendered from text that firms and officers typed: that text must stay text.

Injection probes (a local-file attachment, images and stylesheets pointing at a listening
socket) are put into firm names, a programme's names and a rejection reason before issuing;
the stored PDFs must show them as text, attach nothing, and nothing may connect to the socket.
``html_to_pdf`` itself is also fed raw hostile HTML: its URL fetcher must refuse every fetch.
Finally an ordinary letter embeds a subset CJK font and prints its number and amount."""

from __future__ import annotations

import io
import logging
import re
import socket
import subprocess
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.files import file_store
from portal.letters import content
from portal.letters import pdf as pdf_module
from portal.letters.artwork import qr_data_uri
from portal.letters.issuing import issue_due_letters
from portal.letters.models import Letter
from portal.letters.numbering import display_code
from portal.letters.pdf import LetterRenderFailed, html_to_pdf
from portal.programs.models import Program
from tests.helpers import add_final_decision

RD = "rd-post-subsidy-2026"
TODAY = date(2026, 12, 1)
PASSWD = Path("/etc/passwd")


# --- a socket that records whoever connects ------------------------------------------------


class Listener:
    """A real TCP socket on 127.0.0.1: a thread accepts and records every connection."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.connections: list[tuple[tuple[str, int], bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(0.5)
                try:
                    request = conn.recv(4096)
                except OSError:
                    request = b""
                self.connections.append((peer, request))

    def wait_for_connection(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.connections and time.monotonic() < deadline:
            time.sleep(0.01)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener():
    probe = Listener()
    # Prove that it records a connection, so that "no connection" below means something.
    with socket.create_connection(("127.0.0.1", probe.port), timeout=2) as client:
        client.sendall(b"GET /self-test HTTP/1.0\r\n\r\n")
    probe.wait_for_connection()
    assert len(probe.connections) == 1 and b"/self-test" in probe.connections[0][1]
    probe.connections.clear()
    yield probe
    probe.close()


# --- reading PDFs --------------------------------------------------------------------------


def run_tool(tmp_path: Path, tool: list[str], pdf: bytes) -> str:
    path = tmp_path / f"letter-{time.monotonic_ns()}.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        [*tool, str(path)] + (["-"] if tool[0] == "pdftotext" else []),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


def pdf_text(tmp_path: Path, pdf: bytes) -> str:
    return run_tool(tmp_path, ["pdftotext", "-raw", "-enc", "UTF-8"], pdf)


def squash(text: str) -> str:
    """Text without whitespace: pdftotext breaks lines wherever the letter's lines break.

    (``pdf_text`` reads in content order, ``-raw``: in physical order the wide gaps of a
    justified line full of long words come out as separate columns.)"""
    return "".join(text.split())


def embedded_file_count(tmp_path: Path, pdf: bytes) -> int:
    listing = run_tool(tmp_path, ["pdfdetach", "-list"], pdf)
    match = re.match(r"\s*(\d+) embedded files", listing)
    assert match, listing
    return int(match.group(1))


def attachments_seen_by_pypdf(pdf: bytes) -> list[str]:
    """Embedded files in the name tree and file-attachment annotations, by a second reader."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    found = list(reader.attachments)
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            if annotation.get_object().get("/Subtype") == "/FileAttachment":
                found.append("annotation")
    return found


def passwd_marker() -> str:
    """The start of this machine's /etc/passwd (root's entry), which no letter may contain."""
    first = PASSWD.read_text().splitlines()[0]
    assert first.startswith("root:")
    return first[:12]


def assert_attaches_nothing(tmp_path: Path, pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    assert embedded_file_count(tmp_path, pdf) == 0
    assert attachments_seen_by_pypdf(pdf) == []
    assert b"/EmbeddedFile" not in pdf and b"/FileAttachment" not in pdf
    text = pdf_text(tmp_path, pdf)
    assert passwd_marker() not in text
    assert "root:x:0:0" not in text


# --- probes in what firms and officers type -------------------------------------------------


def probes(port: int) -> dict[str, str]:
    base = f"http://127.0.0.1:{port}"
    return {
        "link": '<link rel="attachment" href="file:///etc/passwd">',
        "img": f'<img src="{base}/x">',
        "css": (f"<style>@import url({base}/css); body{{background:url({base}/bg)}}</style>"),
        "inline": f'<div style="background:url({base}/inline)">',
    }


def test_probes_in_names_and_reasons_are_printed_as_text(app, demo, listener, tmp_path):
    probe = probes(listener.port)
    program_zh = "研发后补助" + probe["link"] + probe["css"]
    program_en = "R&D " + probe["img"] + probe["inline"] + probe["link"]
    firms = {
        "甲": "探针甲有限公司" + probe["link"] + probe["img"],
        "乙": "探针乙有限公司" + probe["css"] + probe["inline"],
        "丙": "探针丙有限公司" + probe["inline"] + probe["img"],
    }
    assert all(len(name) <= 200 for name in [program_zh, program_en, *firms.values()])
    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == RD))
        program.name_zh, program.name_en = program_zh, program_en
        db.session.commit()
    reason = "经审查不符合申报条件。" + "".join(probe.values())
    ids = {
        "甲": add_final_decision(app, RD, firm_name=firms["甲"]),
        "乙": add_final_decision(app, RD, firm_name=firms["乙"]),
        "丙": add_final_decision(app, RD, firm_name=firms["丙"], approved=False, reason=reason),
    }

    with app.app_context():
        letters = issue_due_letters(list(ids.values()), today=TODAY)
        db.session.commit()
        assert len(letters) == 3
        stored = {
            letter.application_id: (
                file_store().read(letter.pdf_key),
                file_store().read(letter.pdf_en_key),
            )
            for letter in letters
        }
        letter = db.session.scalar(select(Letter).where(Letter.application_id == ids["甲"]))
        html_zh = content.letter_html(
            content.letter_values(letter, "zh", reference="L-1", process="formal_check")
        )
        html_en = content.letter_html(
            content.letter_values(letter, "en", reference="L-1", process="formal_check")
        )

    # Nothing was fetched while the six PDFs were made.
    assert listener.connections == []

    # The letter's HTML carries the probes escaped, never as markup.
    for html in (html_zh, html_en):
        assert "&lt;link" in html and "&lt;img" in html
        assert '<link rel="attachment"' not in html
        assert f'<img src="http://127.0.0.1:{listener.port}' not in html
        assert "<style>@import" not in html
        assert 'rel="attachment"' not in html  # escaped: rel=&#34;attachment&#34;
    assert "&lt;style&gt;@import" in html_zh  # from the Chinese programme name
    assert "&lt;div style=" in html_en  # from the English programme name

    for name, application_id in ids.items():
        zh_pdf, en_pdf = stored[application_id]
        for pdf in (zh_pdf, en_pdf):
            assert_attaches_nothing(tmp_path, pdf)
        zh_text, en_text = squash(pdf_text(tmp_path, zh_pdf)), squash(pdf_text(tmp_path, en_pdf))
        # The firm's name is printed in both languages, probes and all, as plain text.
        for text in (zh_text, en_text):
            assert squash(firms[name]) in text, name
            assert 'rel="attachment"href="file:///etc/passwd"' in text
        assert squash(program_zh) in zh_text
        assert squash(program_en) in en_text
        assert f"url(http://127.0.0.1:{listener.port}/bg)" in zh_text
        assert f"url(http://127.0.0.1:{listener.port}/inline)" in en_text
        if name == "丙":  # the rejection reason an officer typed
            assert squash(reason) in zh_text
            assert squash(reason) in en_text

    assert listener.connections == []


# --- html_to_pdf with raw hostile HTML -------------------------------------------------------


HOSTILE = {
    "img file": '<p>甲</p><img src="file:///etc/passwd">',
    "img FILE upper case": '<p>甲</p><img src="FILE:///etc/passwd">',
    "img absolute path": '<p>甲</p><img src="/etc/passwd">',
    "link attachment file": '<p>甲</p><link rel=attachment href="file:///etc/passwd">',
    "link attachment path": '<p>甲</p><link rel=attachment href="/etc/passwd">',
    "a attachment file": '<p><a rel=attachment href="file:///etc/passwd">甲</a></p>',
    "base file": '<base href="file:///etc/"><p>甲</p><link rel=attachment href="passwd">',
    "stylesheet file": '<link rel=stylesheet href="file:///etc/passwd"><p>甲</p>',
    "img http": '<p>甲</p><img src="{base}/img">',
    "link attachment http": '<p>甲</p><link rel=attachment href="{base}/attach">',
    "stylesheet http": '<link rel=stylesheet href="{base}/sheet.css"><p>甲</p>',
    "css import http": "<style>@import url({base}/import.css);</style><p>甲</p>",
    "css background http": "<style>body{{background:url({base}/bg)}}</style><p>甲</p>",
    "inline style http": '<div style="background:url({base}/inline)">甲</div>',
    "font-face http": (
        "<style>@font-face{{font-family:probe;src:url({base}/font.woff)}}"
        "p{{font-family:probe}}</style><p>甲</p>"
    ),
    "svg image http": (
        '<svg width="20" height="20"><image href="{base}/svg.png" width="20" height="20"/></svg>'
    ),
    "object http": '<object data="{base}/object" type="image/png"></object><p>甲</p>',
    "embed http": '<embed src="{base}/embed" type="image/png"><p>甲</p>',
    "base http": '<base href="{base}/"><p>甲</p><img src="relative.png">',
    "list-style http": '<ul style="list-style-image:url({base}/bullet)"><li>甲</li></ul>',
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_html_to_pdf_fetches_nothing_and_attaches_nothing(case, listener, tmp_path, monkeypatch):
    if "@font-face" in HOSTILE[case]:
        # A font face gives the FontConfiguration a temporary folder: use a fresh one for this
        # case, so that the process-wide one of the other tests stays as letters leave it.
        monkeypatch.setattr(pdf_module, "_shared", {})
    html = HOSTILE[case].format(base=f"http://127.0.0.1:{listener.port}")
    document = f'<!DOCTYPE html><html lang="zh-CN"><body>{html}</body></html>'

    try:
        pdf = html_to_pdf(document)
    except LetterRenderFailed:
        pdf = None  # refusing to render is a safe answer too

    if pdf is not None:
        assert_attaches_nothing(tmp_path, pdf)
    assert listener.connections == [], case


# A control: the same probes do bite when WeasyPrint runs with its default URL fetcher, so that
# "nothing fetched, nothing attached" above is a property of the portal's fetcher.
BITES_WITHOUT_THE_SAFE_FETCHER = {
    "link attachment file": "attaches",
    "a attachment file": "attaches",
    "base file": "attaches",
    "img http": "connects",
    "css import http": "connects",
    "inline style http": "connects",
    "font-face http": "connects",
    "svg image http": "connects",
}


def test_the_probes_bite_with_the_default_fetcher(listener, caplog):
    from weasyprint import HTML

    caplog.set_level(logging.CRITICAL, logger="weasyprint")  # its failed-fetch warnings
    for case, effect in BITES_WITHOUT_THE_SAFE_FETCHER.items():
        listener.connections.clear()
        html = HOSTILE[case].format(base=f"http://127.0.0.1:{listener.port}")
        pdf = HTML(string=f"<html><body>{html}</body></html>").write_pdf()
        if effect == "attaches":
            assert attachments_seen_by_pypdf(pdf), case
        else:
            listener.wait_for_connection(timeout=2)
            assert listener.connections, case
    listener.connections.clear()


def test_html_to_pdf_refuses_a_local_file_instead_of_leaving_a_hole(listener):
    # The fetcher fails on a refused URL, so that a letter with a missing part is not issued.
    with pytest.raises(LetterRenderFailed):
        html_to_pdf('<html><body><img src="file:///etc/passwd"></body></html>')
    with pytest.raises(LetterRenderFailed):
        html_to_pdf(f'<html><body><img src="http://127.0.0.1:{listener.port}/x"></body></html>')
    assert listener.connections == []


def test_html_to_pdf_still_renders_data_urls(tmp_path):
    pdf = html_to_pdf(
        f'<html lang="zh-CN"><body><p>验证码</p><img src="{qr_data_uri("https://x/v/1")}">'
        "</body></html>"
    )
    assert_attaches_nothing(tmp_path, pdf)
    assert "验证码" in pdf_text(tmp_path, pdf)


# --- an ordinary letter --------------------------------------------------------------------


def test_an_issued_letter_embeds_a_subset_cjk_font_and_prints_number_and_amount(
    app, demo, tmp_path
):
    application_id = add_final_decision(app, RD, amount="100000.00")
    with app.app_context():
        (letter,) = issue_due_letters([application_id], today=TODAY)
        db.session.commit()
        number, code = letter.number, letter.verification_code
        zh_pdf = file_store().read(letter.pdf_key)
        en_pdf = file_store().read(letter.pdf_en_key)

    assert number == "阜科发〔2026〕1号"
    for pdf in (zh_pdf, en_pdf):
        fonts = run_tool(tmp_path, ["pdffonts"], pdf).splitlines()[2:]
        cjk = []
        for line in fonts:
            columns = line.split()
            emb, sub = columns[-5], columns[-4]
            # The letter serif: Noto Serif CJK SC cut at set-up (tools/build_letter_fonts.py).
            if re.fullmatch(r"[A-Z]{6}\+Portal-Letter-Serif-SC", columns[0]):
                cjk.append((emb, sub))
            # Every font is embedded and subset (never a 32 MB full font).
            assert (emb, sub) == ("yes", "yes"), line
        assert ("yes", "yes") in cjk, fonts
        assert len(pdf) < 150 * 1024  # a normal letter (420 KB with the full faces)
        assert_attaches_nothing(tmp_path, pdf)

    zh_text = squash(pdf_text(tmp_path, zh_pdf))
    assert number in zh_text
    assert "壹拾万元整" in zh_text
    assert "100,000.00" in zh_text
    assert "2026年12月1日" in zh_text
    assert display_code(code) in zh_text
    en_text = squash(pdf_text(tmp_path, en_pdf))
    assert number in en_text
    assert "壹拾万元整" in en_text
    assert squash("1 December 2026") in en_text
