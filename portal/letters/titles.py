"""A letter's title (GB/T 9704 标题: 关于……的通知), in parts between which a line may break;
the ending stays with the programme's name, so that no line holds only 的通知.

Chinese has no spaces, so a renderer breaks a title anywhere, even inside a firm's name. The
template joins these parts with ``<wbr>`` and letter.css keeps each part whole
(``word-break: keep-all``), so a line breaks between words.
"""

from __future__ import annotations

# A programme whose name already says what is given ("…遴选支持", "…后补助") is not followed
# by 支持 again: 关于给予某公司“规上重点企业遴选支持”的通知, not “…支持”支持的通知.
SUPPORT_WORDS = ("支持", "补助", "资助", "奖励", "补贴", "奖补", "扶持", "补充支持")
# Where a firm's name may break: after its place (阜新市, 细河区) and before its legal form.
LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "科技有限公司",
    "有限公司",
    "专业合作社",
    "合作社",
    "研究院",
    "公司",
)
PLACE_ENDINGS = ("省", "市", "区", "县", "旗")
PLACE_MAX = 6  # 阜新蒙古族自治县 is longer, and rarer than a firm whose name has 市 in it
# A part longer than this may break inside (else it would overflow the line): letter.html.
LONGEST_WHOLE_PART = 22


def firm_name_parts(name: str) -> list[str]:
    """The firm's name in up to three parts: place, the rest, legal form."""
    parts: list[str] = []
    rest = name.strip()
    while place := _place(rest):  # 阜新市 | 细河区 | …
        parts.append(place)
        rest = rest[len(place) :]
    tail = ""
    for form in LEGAL_FORMS:
        if rest.endswith(form) and len(rest) > len(form):
            rest, tail = rest[: -len(form)], form
            break
    parts.append(rest)
    if tail:
        parts.append(tail)
    return parts


def _place(name: str) -> str:
    """The place at the start of ``name`` (up to PLACE_MAX characters), or ""."""
    for end in range(2, min(PLACE_MAX, len(name) - 3) + 1):
        if name[end - 1] in PLACE_ENDINGS:
            return name[:end]
    return ""


def quoted(program: str) -> str:
    return f"“{program}”"


def support_given_zh(program: str) -> str:
    """What is given, after 给予: “…遴选支持”, or “…” 支持 when the name does not say it."""
    return quoted(program) + ("" if program.endswith(SUPPORT_WORDS) else "支持")


def approval_title_zh(firm: str, program: str) -> list[str]:
    return ["关于给予", *firm_name_parts(firm), support_given_zh(program) + "的通知"]


def rejection_title_zh(firm: str, program: str) -> list[str]:
    return ["关于", *firm_name_parts(firm), quoted(program) + "申报结果的通知"]


def approval_title_en(program: str) -> list[str]:
    return ["Notice of approval:", f"“{program}”"]


def rejection_title_en(program: str) -> list[str]:
    return ["Notice of decision:", f"“{program}”"]
