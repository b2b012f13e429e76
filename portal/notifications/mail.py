"""Mail: through the SMTP server of ``PORTAL_SMTP_*``, or, without one, as ``.eml`` files in
``instance/outbox/`` that a newcomer can open. Always text and HTML, in the recipient's
language (the Message was composed in it)."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

from flask import current_app

from portal.core.timeutil import utcnow
from portal.notifications.messages import Message


def build_mail(to: str, message: Message, locale: str) -> EmailMessage:
    config = current_app.config
    env = current_app.jinja_env
    values = {
        "message": message,
        "lang": "en" if locale == "en" else "zh-CN",
        "portal_name": config["BUREAU_NAME_EN"] if locale == "en" else config["BUREAU_NAME_ZH"],
        "base_url": config["BASE_URL"],
    }
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = formataddr((config["MAIL_FROM_NAME"], config["MAIL_FROM"]))
    mail["To"] = to
    mail["Date"] = formatdate(utcnow().timestamp(), localtime=False)
    mail["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2] or None)
    mail.set_content(env.get_template("mail/message.txt").render(values))
    mail.add_alternative(env.get_template("mail/message.html").render(values), subtype="html")
    return mail


def deliver(mail: EmailMessage) -> str:
    """Send (or write) one mail; return where it went."""
    config = current_app.config
    if not config["SMTP_HOST"]:
        return str(_write_to_outbox(mail))
    timeout = config["SMTP_TIMEOUT"]
    if config["SMTP_SSL"]:
        server = smtplib.SMTP_SSL(
            config["SMTP_HOST"],
            config["SMTP_PORT"],
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        server = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=timeout)
    with server:
        if config["SMTP_STARTTLS"] and not config["SMTP_SSL"]:
            server.starttls(context=ssl.create_default_context())
        if config["SMTP_USER"]:
            server.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        server.send_message(mail)
    return f"smtp://{config['SMTP_HOST']}:{config['SMTP_PORT']}"


def _write_to_outbox(mail: EmailMessage) -> Path:
    outbox = Path(current_app.config["OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{utcnow():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(mail.as_bytes())
    return path
