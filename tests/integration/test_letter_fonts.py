"""The letters' fonts and the cost of a letter: subsets built once (tools/build_letter_fonts.py),
every font embedded and subset, a rare character still printed from the full Noto face, one
layout per letter, and the render workers that ``render_many`` keeps."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from portal.letters import pdf as pdf_module
from portal.letters import render_core
from portal.letters.models import LetterKind
from portal.letters.pdf import LetterRenderFailed, render_many
from tests.integration.test_letter_layout import pages, render, sample_letter, text

# In the 通用规范汉字表, outside GB 2312: in the subsets.
GENERAL_STANDARD_RARE = "㮾𬌗"
# In the full Noto Serif CJK SC, in neither the 通用规范汉字表 nor GB 2312: not in the subsets.
OUTSIDE_THE_SUBSETS = "𠀋"


def fonts(data: bytes) -> list[dict[str, str]]:
    """pdffonts' table: name, embedded, subset."""
    out = subprocess.run(
        ["pdffonts", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    rows = []
    for line in out.splitlines()[2:]:
        match = re.match(r"(\S+)\s+.*?\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line)
        assert match, line
        rows.append({"name": match[1], "emb": match[2], "sub": match[3]})
    return rows


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_letter_embeds_the_letter_fonts_each_subset(app, lang):
    data = render(app, sample_letter(), lang)
    found = fonts(data)
    assert found, "no fonts"
    assert all(row["emb"] == "yes" and row["sub"] == "yes" for row in found), found
    names = {row["name"].split("+", 1)[1] for row in found}
    assert names == {
        "Portal-Letter-Serif-SC",
        "Portal-Letter-Serif-SC-Bold",
        "Portal-Letter-Mono",
    }, names
    assert len(data) < 150 * 1024


def test_a_rare_character_in_a_firm_name_still_prints(app):
    """Characters of the 通用规范汉字表 come from the subsets; one outside them from the full
    Noto face, embedded beside them."""
    letter = sample_letter()
    letter.enterprise_name = f"株洲{GENERAL_STANDARD_RARE}{OUTSIDE_THE_SUBSETS}新材料有限公司"
    data = render(app, letter, "zh")
    words = text(data)
    assert letter.enterprise_name in words
    found = fonts(data)
    assert all(row["emb"] == "yes" and row["sub"] == "yes" for row in found), found
    names = {row["name"].split("+", 1)[1] for row in found}
    assert any(name.startswith("Noto-Serif-CJK-SC") for name in names), names
    assert "Portal-Letter-Serif-SC" in names


def test_the_subsets_cover_the_general_standard_characters():
    from fontTools.ttLib import TTFont

    (regular, bold, _mono) = pdf_module.letter_font_files()
    for path in (regular, bold):
        cmap = TTFont(path, lazy=True).getBestCmap()
        for char in GENERAL_STANDARD_RARE + "阜新市科学技术局（）〔〕—“”":
            assert ord(char) in cmap, (path.name, char)
        assert ord(OUTSIDE_THE_SUBSETS) not in cmap


def test_the_font_build_does_nothing_when_up_to_date():
    pdf_module.letter_font_files()
    done = subprocess.run(
        [sys.executable, str(pdf_module.FONT_BUILDER), "--out", str(pdf_module.fonts_dir())],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "up to date" in done.stderr


def test_a_two_page_letter_is_laid_out_once(app, monkeypatch):
    import weasyprint

    layouts = []
    real_render = weasyprint.HTML.render

    def counting(self, *args, **kwargs):
        layouts.append(1)
        return real_render(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "render", counting)
    long_reason = "经专家评审，申报材料与实际情况不符，综合评分未达到60分。" * 40
    two = render(app, sample_letter(LetterKind.REJECTION, long_reason), "zh")
    assert pages(two) >= 2 and len(layouts) == 1
    words = text(two)
    assert "—1—" in words and "—2—" in words
    layouts.clear()
    one = render(app, sample_letter(), "en")
    assert pages(one) == 1 and len(layouts) == 1
    assert not re.search(r"—\s*\d+\s*—", text(one))


def test_render_workers_return_the_pdfs_in_order_and_report_failures(app):
    with app.app_context():
        from portal.letters import content

        letter = sample_letter()
        htmls = [
            content.letter_html(
                content.letter_values(letter, lang, reference=f"KEY-{i}", process="expert_review")
            )
            for i in range(3)
            for lang in ("zh", "en")
        ]
    try:
        pdfs = render_many(htmls, workers=2)
        english = [("Englishtranslationofnotice" in text(data)) for data in pdfs]
        assert english == [False, True] * 3
        assert all(f"KEY-{i}" in text(pdfs[2 * i]) for i in range(3))
        workers = pdf_module.worker_pids()
        assert len(workers) == 2
        hostile = '<html lang="zh-CN"><body><img src="http://127.0.0.1:9/x.png"></body></html>'
        with pytest.raises(LetterRenderFailed, match="fetch"):
            render_many([htmls[0], hostile, htmls[1]], workers=2)
        # The same workers go on working after a refused letter (kept across jobs).
        assert len(render_many(htmls[:2], workers=2)) == 2
        assert pdf_module.worker_pids() == workers
    finally:
        pdf_module.shutdown_pools()


def test_a_render_worker_imports_weasyprint_not_the_portal():
    """The worker's script runs without the portal on its path (python -I)."""
    probe = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('worker', {render_core.__file__!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "module.import_weasyprint()\n"
        "print('portal' in sys.modules, 'weasyprint' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.split() == ["False", "True"], done.stdout + done.stderr
