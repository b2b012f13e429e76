"""What each notification says, in the recipient's language: a title (the mail's subject and
the in-app line), paragraphs, and the action it points to. Mails and the notifications page
are both written from these, so they always say the same thing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from portal.applications.sections import SECTION_LABELS
from portal.core.money import format_money
from portal.core.urls import absolute


@dataclass(frozen=True)
class Message:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    action_label: str = ""
    action_url: str = ""


def _program(params: dict[str, Any], locale: str) -> str:
    return params.get("program_en" if locale == "en" else "program_zh", "")


def compose(kind: str, params: dict[str, Any], link: str, locale: str) -> Message:
    with force_locale(locale):
        return _WRITERS[kind](params, _program(params, locale), absolute(link))


def _submitted(p, program, url) -> Message:
    title = _("We received your application %(reference)s", reference=p["reference"])
    return Message(
        title,
        [
            _(
                "Your application for “%(program)s” was submitted on %(time)s. The bureau "
                "checks it next; you can follow every step on the portal.",
                program=program,
                time=p.get("time", ""),
            )
        ],
        _("Open the application"),
        url,
    )


def _resubmitted(p, program, url) -> Message:
    title = _("We received your changed application %(reference)s", reference=p["reference"])
    return Message(
        title,
        [_("Your changes to the application for “%(program)s” were submitted.", program=program)],
        _("Open the application"),
        url,
    )


def _returned(p, program, url) -> Message:
    sections = [str(SECTION_LABELS.get(s, s)) for s in p.get("sections", [])]
    paragraphs = [
        _(
            "The bureau asks you to change your application for “%(program)s”.",
            program=program,
        ),
        _("Sections to change: %(sections)s", sections=", ".join(sections)),
    ]
    if p.get("reason"):
        paragraphs.append(_("The bureau's reason: %(reason)s", reason=p["reason"]))
    paragraphs.append(_("Only these sections can be edited. Resubmit when you are done."))
    title = _("Please change your application %(reference)s", reference=p["reference"])
    return Message(title, paragraphs, _("Change the application"), url)


def _reviewer_assigned(p, program, url) -> Message:
    title = _("New application to review: %(reference)s", reference=p["reference"])
    paragraphs = [_("You are asked to review an application for “%(program)s”.", program=program)]
    if p.get("due"):
        paragraphs.append(_("Please submit your scores by %(date)s.", date=p["due"]))
    paragraphs.append(
        _("If you are linked to the applicant, decline the assignment and say so in your queue.")
    )
    return Message(title, paragraphs, _("Open your review queue"), url)


def _approved_in_publicity(p, program, url) -> Message:
    title = _("Your application %(reference)s is approved", reference=p["reference"])
    return Message(
        title,
        [
            _(
                "The bureau approves support of %(amount)s yuan for your application for "
                "“%(program)s”.",
                amount=format_money(p.get("amount")),
                program=program,
            ),
            _(
                "The award is published until %(date)s. It becomes final when this publicity "
                "period ends without an upheld objection; the decision letter follows then.",
                date=p.get("publicity_ends_on", ""),
            ),
        ],
        _("Open the application"),
        url,
    )


def _letter_issued(p, program, url) -> Message:
    if p.get("approved"):
        title = _("Decision letter %(number)s: support approved", number=p["number"])
        first = _(
            "Your award of %(amount)s yuan for “%(program)s” is final. The decision letter "
            "%(number)s is ready to download.",
            amount=format_money(p.get("amount")),
            program=program,
            number=p["number"],
        )
    else:
        title = _("Decision letter %(number)s: not approved", number=p["number"])
        first = _(
            "The bureau has decided not to support your application for “%(program)s”. The "
            "decision letter %(number)s gives the reason and how to appeal.",
            program=program,
            number=p["number"],
        )
    return Message(
        title,
        [first, _("Anyone can check the letter's authenticity with its verification code.")],
        _("Download the decision letter"),
        url,
    )


def _letter_reissued(p, program, url) -> Message:
    title = _("Corrected decision letter %(number)s", number=p["number"])
    return Message(
        title,
        [
            _(
                "The bureau has reissued the decision letter for “%(program)s”: %(number)s "
                "replaces %(old)s, which is no longer valid.",
                program=program,
                number=p["number"],
                old=p.get("supersedes", ""),
            ),
            _("Reason: %(reason)s", reason=p.get("reason", "")),
        ],
        _("Download the decision letter"),
        url,
    )


def _objection_received(p, program, url) -> Message:
    title = _("Objection to the award to %(firm)s", firm=p.get("firm", ""))
    return Message(
        title,
        [
            _(
                "A signed objection was raised against the award %(reference)s (“%(program)s”). "
                "The award is on hold until an officer resolves it.",
                reference=p.get("reference", ""),
                program=program,
            )
        ],
        _("Open the objections"),
        url,
    )


def _password_reset(p, _program_name, url) -> Message:
    return Message(
        _("Reset your password"),
        [
            _("Someone asked to reset the password of your account on the portal."),
            _(
                "Open the link below within %(minutes)d minutes to choose a new password. It "
                "works once. If you did not ask for it, ignore this mail: your password stays "
                "as it is.",
                minutes=p.get("minutes", 60),
            ),
        ],
        _("Choose a new password"),
        url,
    )


def _registration_confirmation(p, _program_name, url) -> Message:
    return Message(
        _("Finish registering on the portal"),
        [
            _("Someone registered an enterprise on the portal with this address."),
            _(
                "Open the link below within %(hours)d hours to finish registering; until then "
                "the account cannot be used. It works once. If you did not register, ignore "
                "this mail: nothing more will happen.",
                hours=p.get("hours", 48),
            ),
        ],
        _("Finish registering"),
        url,
    )


def _registration_attempt(p, _program_name, url) -> Message:
    return Message(
        _("Someone tried to register with your address"),
        [
            _(
                "Someone tried to register a new enterprise on the portal with this address, "
                "which already has an account. Nothing was created and your account is "
                "unchanged."
            ),
            _(
                "If it was you, sign in with your account instead; if you forgot the password, "
                "reset it on the sign-in page. If it was not you, you need do nothing."
            ),
        ],
        _("Sign in"),
        url,
    )


_WRITERS = {
    "submitted": _submitted,
    "resubmitted": _resubmitted,
    "returned": _returned,
    "reviewer_assigned": _reviewer_assigned,
    "approved_in_publicity": _approved_in_publicity,
    "letter_issued": _letter_issued,
    "letter_reissued": _letter_reissued,
    "objection_received": _objection_received,
    "password_reset": _password_reset,
    "registration_confirmation": _registration_confirmation,
    "registration_attempt": _registration_attempt,
}
KINDS = frozenset(_WRITERS)
