"""What someone who objects to an award in publicity receives: the one-time code that confirms
their address (by mail, or by text message through the bureau's SMS gateway when one is
configured), and mails when the objection is received and when it is resolved, each with the
signed link to its status page. The review domain names these jobs (``SEND_CODE_JOB``,
``MAIL_OBJECTOR_JOB``); they live here, with the rest of the portal's mail."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.accounts.models import User
from portal.core.extensions import db
from portal.core.jobs import job
from portal.core.urls import absolute, path_for
from portal.notifications.mail import build_mail, deliver
from portal.notifications.messages import Message
from portal.review import objector_identity, publicity
from portal.review.models import Objection, ObjectorChallenge


@job(retries=3, retry_delay=30)
def send_objector_code(challenge_id: int, code: str, locale: str) -> None:

    challenge = db.session.get(ObjectorChallenge, challenge_id)
    if challenge is None:
        return
    minutes = current_app.config["PUBLICITY_CODE_MINUTES"]
    with force_locale(locale):
        title = _("Your code to object to an award: %(code)s", code=code)
        paragraphs = [
            _(
                "Enter this code on the objection page to confirm that this address is yours: "
                "%(code)s. It works for %(minutes)d minutes.",
                code=code,
                minutes=minutes,
            ),
            _("If you did not ask for it, ignore this message: nothing is sent in your name."),
        ]
    if challenge.channel == objector_identity.PHONE:
        _send_text_message(challenge.address, f"{title}. {paragraphs[0]}")
        return
    deliver(build_mail(challenge.address, Message(title, paragraphs), locale))


def _send_text_message(phone: str, text: str) -> None:
    """POST the message to the configured SMS gateway (JSON ``{"to", "text"}``)."""
    url = current_app.config["PUBLICITY_SMS_GATEWAY_URL"]
    if not url.startswith(("https://", "http://")):
        raise RuntimeError("PORTAL_PUBLICITY_SMS_GATEWAY_URL is not an http(s) address")
    body = json.dumps({"to": phone, "text": text}).encode("utf-8")
    outgoing = urllib.request.Request(  # noqa: S310  (scheme checked above)
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(outgoing, timeout=20) as answer:  # noqa: S310
        if answer.status >= 300:
            raise RuntimeError(f"the SMS gateway answered {answer.status}")


@job(retries=3, retry_delay=30)
def mail_objector(objection_id: int, event: str) -> None:
    """Tell the objector the objection was received, or how it was resolved, with the link
    to its status page."""

    objection = db.session.get(Objection, objection_id)
    if objection is None:
        return
    to, locale = objection.contact, objection.locale
    if objection.account_id is not None:
        user = db.session.get(User, objection.account_id)
        if user is None:
            return
        to, locale = user.email, user.mail_locale
    token = publicity.status_token(objection)
    link = absolute(path_for("publicity.objection_status", objection_id=objection.id, token=token))
    with force_locale(locale):
        message = Message(*_objector_words(objection, event), _("Follow your objection"), link)
    deliver(build_mail(to, message, locale))


def _objector_words(objection: Objection, event: str) -> tuple[str, list[str]]:
    if event == "received":
        return _("We received your objection"), [
            _(
                "The award you objected to is on hold while the bureau investigates. "
                "You can follow the handling of your objection at the link below."
            )
        ]
    outcome: Any = (
        _("The bureau upheld your objection: the award has been withdrawn.")
        if objection.status.value == publicity.UPHELD
        else _("The bureau dismissed your objection: the award stands.")
    )
    return _("Your objection has been resolved"), [outcome, objection.resolution_note]
