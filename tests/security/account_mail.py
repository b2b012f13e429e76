"""Reading the account mails (registration, reset) that a test's SMTP server received."""

from __future__ import annotations

import re

from tests.mail import Inbox

LINK = re.compile(r"http://127\.0\.0\.1:5000(/\S+)")


def text_of_mail(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(inbox: Inbox, to: str, prefix: str) -> str:
    """The path of the last link starting with ``prefix`` mailed to ``to``."""
    for message in reversed(inbox.messages(to)):
        for path in LINK.findall(text_of_mail(message)):
            if path.startswith(prefix):
                return path
    raise AssertionError(f"no {prefix} link was mailed to {to}")
