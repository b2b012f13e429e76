"""Checking an untrusted upload in a separate process with limits on CPU, memory and time.

Parsing a hostile file can cost far more than its size suggests: a PDF of a few kilobytes whose
content stream holds hundreds of thousands of text operators keeps pypdf busy for many
seconds, and an image or workbook can ask for a lot of memory. ``check_in_sandbox`` runs
``check_upload`` in a child process that the kernel stops after ``cpu_seconds`` of CPU time
(``RLIMIT_CPU``) and refuses more than ``memory_bytes`` of address space (``RLIMIT_AS``); the
web process kills it after ``wall_seconds`` whatever it is doing. Running out of any of them,
or the child dying in any other way, refuses the file with a message that tells the user what
to do (``UploadRejected`` with code ``"unchecked"``), never a 500.

Children come from multiprocessing's *forkserver*: a clean process started once (no threads,
no database connections, so forking it is safe, unlike forking the web process) that has
already imported the parsers; each upload gets a fresh fork of it, so the limits apply to that
upload alone and nothing one file did can affect the next. The child answers with JSON only
(a ``DetectedFile``'s fields, or a refusal's recipe): nothing it sends is unpickled, and the
web process recomputes size and hash itself.

The caller reads the limits from the app's config (``SandboxLimits.from_config``) and must call
this while it holds no database transaction (see the upload view).
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from typing import Any

from portal.core.uploads import (
    KINDS,
    DetectedFile,
    UploadRejected,
    allowed_kind_keys,
    check_upload,
    not_checked,
    rejection_from_recipe,
)

try:  # Unix only; elsewhere the wall-clock timeout is the only limit.
    import resource
except ImportError:  # pragma: no cover
    resource = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: Imported once, in the fork server, instead of in every child: the parsers, and the main
#: module (``multiprocessing`` makes every child import it otherwise; the portal's entry points,
#: ``flask``, ``gunicorn`` and ``pytest``, are all safe to import).
PRELOAD = ["__main__", "portal.core.sandbox"]
#: A reply larger than this is not ours (a DetectedFile or a recipe is a few hundred bytes).
MAX_REPLY_BYTES = 64 * 1024
_START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


@dataclass(frozen=True)
class SandboxLimits:
    cpu_seconds: int = 2
    memory_bytes: int = 512 * 1024 * 1024
    wall_seconds: float = 5.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SandboxLimits:
        return cls(
            cpu_seconds=int(config["UPLOAD_CHECK_CPU_SECONDS"]),
            memory_bytes=int(config["UPLOAD_CHECK_MEMORY_MB"]) * 1024 * 1024,
            wall_seconds=float(config["UPLOAD_CHECK_WALL_SECONDS"]),
        )


# The fork server is one per process, shared with the letters' process pool; whoever starts it
# first starts it with this list (set here, at import, so that it is set before either does).
_CONTEXT: Any = multiprocessing.get_context(_START_METHOD)
if _START_METHOD == "forkserver":
    _CONTEXT.set_forkserver_preload(PRELOAD)


def _apply_limits(cpu_seconds: int, memory_bytes: int) -> None:
    if resource is None:  # pragma: no cover
        return
    # The kernel sends SIGXCPU at the soft limit (the default action ends the process) and
    # SIGKILL at the hard one, a second later, in case the signal is caught.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core files of hostile input


def _child(
    reply: Connection, data: bytes, kinds: list[str], max_bytes: int, limits: tuple[int, int]
) -> None:
    """In the child: limit ourselves, check, answer with JSON, exit."""
    _apply_limits(*limits)
    try:
        detected = check_upload(data, kinds, max_bytes)
        answer: dict[str, Any] = {"accepted": asdict(detected)}
    except UploadRejected as rejected:
        answer = {"rejected": rejected.recipe}
    except MemoryError:
        answer = {"failed": "memory"}
    reply.send_bytes(json.dumps(answer).encode())
    reply.close()


def _run(data: bytes, kinds: list[str], max_bytes: int, limits: SandboxLimits) -> Any:
    """The child's JSON answer, or ``None`` when it gave none in time (killed or crashed)."""
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    process = _CONTEXT.Process(
        target=_child,
        args=(sender, data, kinds, max_bytes, (limits.cpu_seconds, limits.memory_bytes)),
        daemon=True,
    )
    try:
        process.start()  # the first call also starts the fork server (about a second or two)
    except Exception:
        sender.close()
        receiver.close()
        log.exception("could not start the upload check")
        return None
    sender.close()  # so that the child's death reads as end of file here
    answer, failure = None, ""
    try:
        # poll() is also true at end of file (the child died): recv_bytes then raises.
        if receiver.poll(limits.wall_seconds):
            answer = json.loads(receiver.recv_bytes(MAX_REPLY_BYTES))
        else:
            failure = f"ran out of time ({limits.wall_seconds:.1f} s) and was killed"
    except (EOFError, OSError, ValueError):
        failure = "ended without an answer"
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        if failure:
            # A negative exit code is the signal: SIGXCPU (24) for the CPU limit.
            log.warning("upload check %s (exit code %s)", failure, process.exitcode)
        process.close()
        receiver.close()
    return answer


def _detected(fields: Any, data: bytes, kinds: tuple[str, ...]) -> DetectedFile | None:
    """The child's verdict as a ``DetectedFile``, if it is a consistent one."""
    if not isinstance(fields, dict):
        return None
    key = fields.get("kind")
    kind = KINDS.get(key) if isinstance(key, str) else None
    page_count = fields.get("page_count")
    if (
        kind is None
        or kind.key not in kinds
        or fields.get("mime_type") not in kind.mime_types
        or fields.get("extension") not in kind.extensions
        or not (page_count is None or (type(page_count) is int and page_count >= 1))
        or (kind.key == "pdf") != (page_count is not None)
    ):
        return None
    # Size and hash are ours to compute: they name the stored file.
    return DetectedFile(
        kind=kind.key,
        mime_type=fields["mime_type"],
        extension=fields["extension"],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        page_count=page_count,
    )


def warm_up() -> None:
    """Start the fork server now (it imports the parsers: a second or two), so that the first
    upload does not wait for it. Optional: the first check starts it otherwise."""
    if _START_METHOD == "forkserver":
        forkserver.ensure_running()


def check_in_sandbox(
    data: bytes, allowed_kinds: Iterable[str], max_bytes: int, limits: SandboxLimits
) -> DetectedFile:
    """``check_upload`` in a limited child process: the same answer for ordinary files, and a
    refusal (code ``"unchecked"``) for files that cost too much to check."""
    kinds = allowed_kind_keys(allowed_kinds)  # a programming mistake raises here, not there
    started = time.monotonic()
    answer = _run(data, list(kinds), max_bytes, limits)
    log.debug("upload checked in %.3f s", time.monotonic() - started)
    if isinstance(answer, dict) and "accepted" in answer:
        detected = _detected(answer["accepted"], data, kinds)
        if detected is not None and detected.size <= max_bytes:
            return detected
    elif isinstance(answer, dict) and "rejected" in answer:
        rejected = rejection_from_recipe(answer["rejected"])
        if rejected is not None:
            raise rejected
    raise not_checked()
