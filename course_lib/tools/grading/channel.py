"""The grader's private channel: signed event records from the pytest child to the runner.

The runner makes a pipe for the records and hands the child a random key through a second pipe,
which the grading plugin reads and closes before any test (so before any student code) runs. Each
record is one line, ``JSON<TAB>HMAC-SHA256(key, JSON)``, and carries a sequence number. The runner
accepts only records with a valid signature and the next sequence number: anything else on the
channel (a line a student wrote after finding the descriptor) marks the run as tampered with.
Nothing the child prints to stdout or stderr is ever read as a result.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable
from typing import Any

__all__ = ["ENV_VAR", "ChannelReader", "open_writer", "new_key"]

ENV_VAR = "COURSE_GRADE_CHANNEL"
"""``"<record fd>,<key fd>"`` in the child's environment; the plugin removes it when it starts."""

_KEY_BYTES = 32
_MAX_LINE = 1 << 20


def new_key() -> bytes:
    return secrets.token_bytes(_KEY_BYTES)


def _sign(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()


def open_writer() -> Callable[[dict[str, Any]], None] | None:
    """In the child: read the key, forget where it came from, and return ``send(event)``.

    ``None`` when the process was not started by the runner (a plain ``pytest`` run).
    """
    spec = os.environ.pop(ENV_VAR, None)
    if not spec:
        return None
    record_fd, key_fd = (int(part) for part in spec.split(","))
    key = b""
    while len(key) < _KEY_BYTES:
        chunk = os.read(key_fd, _KEY_BYTES - len(key))
        if not chunk:
            break
        key += chunk
    os.close(key_fd)
    if len(key) != _KEY_BYTES:
        raise RuntimeError("the grading channel's key is incomplete")
    os.set_inheritable(record_fd, False)  # programs the tests start do not get the channel
    counter = iter(range(1 << 62))

    def send(event: dict[str, Any]) -> None:
        body = json.dumps({"seq": next(counter), **event}, ensure_ascii=True)
        data = f"{body}\t{_sign(key, body)}\n".encode("ascii")
        while data:
            data = data[os.write(record_fd, data) :]

    return send


class ChannelReader:
    """In the runner: split the bytes read from the pipe into verified events."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._buffer = b""
        self._next_seq = 0
        self.tampered: str | None = None
        """Why the channel is no longer trusted (the first bad record), or None."""

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """The verified events completed by ``data``; stops at the first bad record."""
        if self.tampered:
            return []
        self._buffer += data
        events = []
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            event = self._verify(line)
            if event is None:
                return events
            events.append(event)
        if len(self._buffer) > _MAX_LINE:
            self.tampered = "an oversized record on the grading channel"
        return events

    def _verify(self, line: bytes) -> dict[str, Any] | None:
        try:
            body, mac = line.decode("ascii").rsplit("\t", 1)
            valid = hmac.compare_digest(mac, _sign(self._key, body))
            event = json.loads(body) if valid else None
        except (UnicodeDecodeError, ValueError):
            event = None
        if event is None or event.get("seq") != self._next_seq:
            self.tampered = f"a record not written by the grader: {line[:80]!r}"
            return None
        self._next_seq += 1
        return event
