"""Make sure nothing the graded code started outlives the grader.

The runner starts each pytest child in a new session. A process the student's code forks can leave
that session (``setsid``) and be orphaned (a double fork), so killing the child's process group is
not enough. On Linux the runner becomes a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``):
orphans of its descendants are re-parented to it instead of to init, so they stay its descendants,
and :func:`kill_descendants` finds them all through ``/proc`` and kills them with SIGKILL, round
after round until none is left (a process forking as fast as it can included). Elsewhere (macOS) it
falls back to killing the child's process group.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["subreaper", "descendants", "kill_descendants"]

_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37
_PROC = Path("/proc")


def _prctl():  # noqa: ANN202
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):
        return None


@contextlib.contextmanager
def subreaper() -> Iterator[bool]:
    """Be a child subreaper inside the block (yields whether that worked), then restore the old setting."""
    prctl = _prctl()
    if prctl is None:
        yield False
        return
    old = ctypes.c_int(0)
    prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(old), 0, 0, 0)
    ok = prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    try:
        yield ok
    finally:
        if ok and not old.value:
            prctl(_PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def _parents() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state letter) for every process visible in /proc."""
    table = {}
    for entry in _PROC.iterdir() if _PROC.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), fields[0])
    return table


def descendants(root: int | None = None, exclude: frozenset[int] = frozenset()) -> list[int]:
    """Living (non-zombie) descendants of ``root`` (default: this process), minus ``exclude`` and their subtrees."""
    root = os.getpid() if root is None else root
    table = _parents()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], [p for p in children.get(root, []) if p not in exclude]
    while stack:
        pid = stack.pop()
        if table.get(pid, (0, "Z"))[1] not in ("Z", "X"):
            found.append(pid)
        stack.extend(p for p in children.get(pid, []) if p not in exclude)
    return found


def _reap(exclude: frozenset[int]) -> None:
    """Collect the exit status of this process's dead children (orphans re-parented to it)."""
    for pid, (ppid, state) in _parents().items():
        if ppid == os.getpid() and state == "Z" and pid not in exclude:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)


def kill_descendants(exclude: frozenset[int] = frozenset(), rounds: int = 200) -> int:
    """SIGKILL every descendant of this process except ``exclude`` (and theirs); returns how many were killed."""
    if not _PROC.is_dir():
        return 0
    killed = 0
    for _ in range(rounds):
        alive = descendants(exclude=exclude)
        if not alive:
            break
        for pid in alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGSTOP)  # a forking process stops forking before it is killed
        for pid in alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(0.02)
        _reap(exclude)
    _reap(exclude)
    return killed
