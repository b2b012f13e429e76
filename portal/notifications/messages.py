"""What each notification says, in the recipient's language: a title (the mail's subject and
the in-app line), paragraphs, and the action it points to. Mails and the notifications page
are both written from these, so they always say the same thing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from portal.applications.award_terms import short_day
from portal.applications.sections import SECTION_LABELS
from portal.core.money import format_money
from portal.core.urls import absolute, path_for


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


def _ends_on(p) -> str:
    """The publicity end day of ``p`` as people write it (12月9日, 9 December)."""
    iso = p.get("publicity_ends_on", "")
    return short_day(date.fromisoformat(iso)) if iso else ""


def _approved_in_publicity(p, program, url) -> Message:
    # Released is not final: the award is proposed and published until the period ends, and
    # an upheld objection can still withdraw it. "Approved" is kept for the final award.
    ends = _ends_on(p)
    title = _(
        "Your application %(reference)s: proposed award, in publicity until %(date)s",
        reference=p["reference"],
        date=ends,
    )
    paragraphs = [
        _(
            "The bureau proposes support of %(amount)s yuan for your application for "
            "“%(program)s”. The award is not final yet.",
            amount=format_money(p.get("amount")),
            program=program,
        ),
        _(
            "The proposed award is published for public comment until %(date)s. Publicity "
            "notice: %(url)s",
            date=ends,
            # Rows written before the link was stored point at the same public page.
            url=absolute(p.get("publicity_link") or path_for("publicity.index")),
        ),
        _(
            "If no objection is upheld by the end of the publicity period, the award becomes "
            "final: we will tell you then, and the decision letter follows."
        ),
    ]
    return Message(title, paragraphs, _("Open the application"), url)


def _award_final(p, program, url) -> Message:
    title = _("Your award %(reference)s is final", reference=p["reference"])
    return Message(
        title,
        [
            _(
                "The publicity period of your award of %(amount)s yuan for “%(program)s” has "
                "ended without an upheld objection: the award is final and approved.",
                amount=format_money(p.get("amount")),
                program=program,
            ),
            _("The decision letter follows; we will tell you when you can download it."),
        ],
        _("Open the application"),
        url,
    )


def _formal_check_passed(p, program, url) -> Message:
    title = _("Your application %(reference)s passed the formal check", reference=p["reference"])
    if p.get("next") == "expert_review":
        after = _(
            "Next, independent experts review it; the bureau then decides on the applications "
            "of this programme within its budget. We will tell you when the expert review is "
            "complete."
        )
    else:
        after = _(
            "Next, the bureau decides on the applications of this programme within its budget. "
            "We will tell you when the decision is released."
        )
    return Message(
        title,
        [
            _(
                "Your application for “%(program)s” is complete and meets the programme's "
                "conditions as submitted.",
                program=program,
            ),
            after,
        ],
        _("Open the application"),
        url,
    )


def _review_completed(p, program, url) -> Message:
    title = _(
        "Expert review of your application %(reference)s is complete", reference=p["reference"]
    )
    return Message(
        title,
        [
            _(
                "The expert review of your application for “%(program)s” is complete. Next, the "
                "bureau decides on the applications of this programme within its budget; we will "
                "tell you when the decision is released.",
                program=program,
            ),
            _("The bureau does not disclose who reviewed an application or their scores."),
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


def _acceptance_assigned(p, program, url) -> Message:
    title = _("Acceptance panel: %(reference)s", reference=p["reference"])
    return Message(
        title,
        [
            _(
                "You are on the acceptance panel of %(firm)s's project under “%(program)s”. "
                "Read the project and give your conclusion with comments.",
                firm=p.get("firm", ""),
                program=program,
            )
        ],
        _("Open your acceptance panels"),
        url,
    )


def _acceptance_concluded(p, program, url) -> Message:
    outcome = p.get("outcome")
    words = {
        "passed": _("passed"),
        "fix": _("to be fixed by a deadline"),
        "failed": _("failed"),
    }.get(outcome, outcome or "")
    title = _("Acceptance of %(reference)s: %(outcome)s", reference=p["reference"], outcome=words)
    paragraphs = [
        _(
            "The acceptance of your project under “%(program)s” is concluded: %(outcome)s. "
            "The acceptance notice %(number)s is on the application's page.",
            program=program,
            outcome=words,
            number=p.get("number", ""),
        )
    ]
    if outcome == "fix" and p.get("fix_deadline"):
        paragraphs.append(
            _(
                "Fix the points in the notice by %(date)s; the bureau then forms a new panel.",
                date=short_day(date.fromisoformat(p["fix_deadline"])),
            )
        )
    return Message(title, paragraphs, _("Open the application"), url)


def _agreement_offered(p, program, url) -> Message:
    title = _("Your funding agreement for %(reference)s is ready", reference=p["reference"])
    return Message(
        title,
        [
            _(
                "Your award of %(amount)s yuan for “%(program)s” is final. Its funding "
                "agreement is ready: read it, enter the bank account the award is paid into and "
                "accept the agreement on the portal.",
                amount=format_money(p.get("amount")),
                program=program,
            ),
            _("The award is paid only after you have accepted the agreement."),
        ],
        _("Open the agreement"),
        url,
    )


def _bank_account_sent_back(p, program, url) -> Message:
    title = _("Please check the bank account for %(reference)s", reference=p["reference"])
    return Message(
        title,
        [
            _(
                "The bureau could not confirm the bank account you entered for your award for "
                "“%(program)s”.",
                program=program,
            ),
            _("The bureau's reason: %(reason)s", reason=p.get("reason", "")),
            _("Enter the account again on the agreement's page."),
        ],
        _("Open the agreement"),
        url,
    )


def _payment_made(p, program, url) -> Message:
    return Message(
        _("Paid %(amount)s yuan, %(date)s", amount=format_money(p["amount"]), date=p["paid_on"]),
        [
            _(
                "The bureau paid %(amount)s yuan of the award for “%(program)s” (%(reference)s, "
                "payment %(position)s) into your confirmed bank account on %(date)s.",
                amount=format_money(p["amount"]),
                program=program,
                reference=p["reference"],
                position=p.get("position", 1),
                date=p["paid_on"],
            )
        ],
        _("Open the application"),
        url,
    )


def _report_title(p) -> str:
    """The report's name in the message's language (compose forces it)."""
    locale = get_locale()
    return p.get("title_en" if locale is not None and locale.language == "en" else "title_zh", "")


def _report_due(p, program, url) -> Message:
    title_of = _report_title(p)
    due = short_day(date.fromisoformat(p["due_on"])) if p.get("due_on") else ""
    days = int(p.get("days") or 0)
    if days > 0:
        title = _("%(report)s is due on %(date)s", report=title_of, date=due)
        first = _(
            "Your %(report)s on the award under “%(program)s” is due in %(days)d days, on "
            "%(date)s.",
            report=title_of,
            program=program,
            days=days,
            date=due,
        )
    else:
        title = _("%(report)s is due today", report=title_of)
        first = _(
            "Your %(report)s on the award under “%(program)s” was due on %(date)s. Until it is "
            "submitted your enterprise cannot start new applications.",
            report=title_of,
            program=program,
            date=due,
        )
    return Message(
        title,
        [first, _("Fill in the figures and the text, attach the files and submit.")],
        _("Open the report"),
        url,
    )


def _report_returned(p, program, url) -> Message:
    title_of = _report_title(p)
    return Message(
        _("%(report)s returned: please change it", report=title_of),
        [
            _("The bureau returned your %(report)s.", report=title_of),
            _("The bureau's reason: %(reason)s", reason=p.get("reason", "")),
            _("Change the report and submit it again."),
        ],
        _("Open the report"),
        url,
    )


def _report_accepted(p, program, url) -> Message:
    title_of = _report_title(p)
    return Message(
        _("%(report)s accepted", report=title_of),
        [_("The bureau accepted your %(report)s. Nothing more is needed.", report=title_of)],
        _("Open the report"),
        url,
    )


# --- recovery (追回) ----------------------------------------------------------------------------


def _recovery_opened(p, program, url) -> Message:
    title = _(
        "The bureau opened a recovery case on your award %(reference)s", reference=p["reference"]
    )
    return Message(
        title,
        [
            _(
                "The bureau has found facts that may lead it to recover the support for "
                "“%(program)s”. The grounds, the facts and the evidence are on the case page.",
                program=program,
            ),
            _(
                "You may state your case (陈述申辩) with files until %(day)s. After that day the "
                "bureau decides on what it has.",
                day=p.get("due", ""),
            ),
        ],
        _("Open the case"),
        url,
    )


def _recovery_decided(p, program, url) -> Message:
    if p.get("decision") == "recover":
        title = _("Recovery decided on your award %(reference)s", reference=p["reference"])
        paragraphs = [
            _(
                "The bureau has decided to recover %(amount)s yuan of the support for "
                "“%(program)s”. The recovery notice with the last day to repay follows.",
                amount=format_money(p.get("amount")),
                program=program,
            )
        ]
        if p.get("ban_until"):
            paragraphs.append(
                _(
                    "Your enterprise may not apply for the bureau's support until %(day)s.",
                    day=p["ban_until"],
                )
            )
    else:
        title = _("No recovery on your award %(reference)s", reference=p["reference"])
        paragraphs = [
            _(
                "The bureau has closed the recovery case on the support for “%(program)s” "
                "without recovering anything.",
                program=program,
            )
        ]
    return Message(title, paragraphs, _("Open the case"), url)


def _recovery_notice_issued(p, program, url) -> Message:
    title = _("Recovery notice %(number)s", number=p.get("number", ""))
    return Message(
        title,
        [
            _(
                "Repay %(amount)s yuan of the support for “%(program)s” by %(day)s. The notice "
                "says where to repay and how to appeal.",
                amount=format_money(p.get("amount")),
                program=program,
                day=p.get("due", ""),
            )
        ],
        _("Open the case"),
        url,
    )


def _recovery_settled(p, program, url) -> Message:
    title = _("Recovery settled on your award %(reference)s", reference=p["reference"])
    return Message(
        title,
        [
            _(
                "The bureau has received the %(amount)s yuan to be repaid of the support for "
                "“%(program)s”. The case is settled.",
                amount=format_money(p.get("amount")),
                program=program,
            )
        ],
        _("Open the case"),
        url,
    )


def _sign_off_requested(p, program, url) -> Message:
    from portal.review.sign_off import Kind

    what = str(Kind(p["kind"]).label) if p.get("kind") in Kind._value2member_map_ else ""
    paragraphs = [
        _(
            "An officer proposed it for “%(program)s”. It takes effect once an approver signs "
            "it off; you may also send it back with a reason.",
            program=program,
        )
    ]
    if p.get("reference"):
        paragraphs.append(_("Application: %(reference)s", reference=p["reference"]))
    return Message(
        _("Awaiting your sign-off: %(what)s", what=what), paragraphs, _("Open the proposal"), url
    )


_WRITERS = {
    "submitted": _submitted,
    "resubmitted": _resubmitted,
    "returned": _returned,
    "reviewer_assigned": _reviewer_assigned,
    "formal_check_passed": _formal_check_passed,
    "review_completed": _review_completed,
    "approved_in_publicity": _approved_in_publicity,
    "award_final": _award_final,
    "letter_issued": _letter_issued,
    "letter_reissued": _letter_reissued,
    "objection_received": _objection_received,
    "password_reset": _password_reset,
    "registration_confirmation": _registration_confirmation,
    "registration_attempt": _registration_attempt,
    "agreement_offered": _agreement_offered,
    "bank_account_sent_back": _bank_account_sent_back,
    "payment_made": _payment_made,
    "acceptance_assigned": _acceptance_assigned,
    "acceptance_concluded": _acceptance_concluded,
    "report_due_soon": _report_due,
    "report_due_today": _report_due,
    "report_returned": _report_returned,
    "report_accepted": _report_accepted,
    "recovery_opened": _recovery_opened,
    "recovery_decided": _recovery_decided,
    "recovery_notice_issued": _recovery_notice_issued,
    "recovery_settled": _recovery_settled,
    "sign_off_requested": _sign_off_requested,
}
KINDS = frozenset(_WRITERS)


def register_writer(kind: str, writer: Any) -> None:
    """A higher domain (the wall map) brings the writers of its own kinds; it registers them
    when the app starts (``tasks.init_tasks``), before any notification is read."""
    _WRITERS[kind] = writer
