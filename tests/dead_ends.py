"""Engines that are not there, for tests of the portal when Redis or PostgreSQL is down: a
loopback port where nothing listens (a connection is refused at once), and the ``silent_listener``
fixture, a port that accepts connections and never answers (a hung server)."""

from __future__ import annotations

import socket

import pytest

from tests.mail import free_port

__all__ = ["free_port", "silent_listener"]


@pytest.fixture
def silent_listener():
    """A loopback port that accepts connections (the kernel completes the handshake) and never
    answers: a hung Redis."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]
