"""Letter titles: no repeated word, and parts a line may break between."""

from __future__ import annotations

import pytest

from portal.letters.titles import approval_title_zh, firm_name_parts, rejection_title_zh

FIRM = "阜新氟化工新材料股份有限公司"


@pytest.mark.parametrize(
    ("program", "title"),
    [
        ("规上重点企业遴选支持", f"关于给予{FIRM}“规上重点企业遴选支持”的通知"),
        ("雏鹰瞪羚企业补充支持", f"关于给予{FIRM}“雏鹰瞪羚企业补充支持”的通知"),
        ("企业研发投入后补助", f"关于给予{FIRM}“企业研发投入后补助”的通知"),
        ("科技创新券", f"关于给予{FIRM}“科技创新券”支持的通知"),
    ],
)
def test_approval_titles_say_support_once(program, title):
    assert "".join(approval_title_zh(FIRM, program)) == title


def test_rejection_title():
    assert "".join(rejection_title_zh(FIRM, "企业研发投入后补助")) == (
        f"关于{FIRM}“企业研发投入后补助”申报结果的通知"
    )


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        (FIRM, ["阜新氟化工新材料", "股份有限公司"]),
        ("阜新市细河区绿色能源科技有限公司", ["阜新市", "细河区", "绿色能源", "科技有限公司"]),
        ("辽宁省阜新市华晨科技有限责任公司", ["辽宁省", "阜新市", "华晨科技", "有限责任公司"]),
        ("市场有限公司", ["市场", "有限公司"]),
        ("阜新市区", ["阜新市区"]),
        ("公司", ["公司"]),
    ],
)
def test_firm_names_break_after_their_place_and_before_their_legal_form(name, parts):
    assert firm_name_parts(name) == parts
    assert "".join(firm_name_parts(name)) == name
