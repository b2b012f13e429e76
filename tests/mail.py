"""A real SMTP server on loopback for tests (aiosmtpd): what the portal sends, parsed."""

from __future__ import annotations

import email
import socket
from email.policy import default as default_policy

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the SMTP server received, parsed."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, _server, _session, envelope):  # aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self, to: str | None = None) -> list[email.message.EmailMessage]:
        parsed = [
            email.message_from_bytes(e.original_content, policy=default_policy)
            for e in self.envelopes
        ]
        return [m for m in parsed if to is None or m["To"] == to]

    def only(self, to: str) -> email.message.EmailMessage:
        found = self.messages(to)
        assert len(found) == 1, [m["Subject"] for m in found]
        return found[0]


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()
