"""Finding the processes a test run left behind (issue 19: no test may leave a process running).

The session sets a marker in its environment (``MARKER`` = a value of its own) before any test starts a
process; every process started from it inherits it, double-forked daemons and new sessions included, and
the kernel keeps the environment a process was started with in ``/proc/PID/environ``. So at the end,
any live process carrying the session's marker other than pytest itself was left running by a test. A
process started with an environment of its own (``env={...}`` without ``os.environ``) escapes the marker;
the session's own live descendants are counted too, which catches it unless it also detached.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

__all__ = ["MARKER", "Leak", "interpreter_helpers_drop", "processes_kill", "processes_marked"]

MARKER = "PARTYCARD_TEST_SESSION"

Leak = tuple[int, str]  # pid, command line (cut short: a command line may hold arguments, not names)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # gone meanwhile, or a kernel thread
        return b""


def _state_and_parent(pid: int) -> tuple[str, int]:
    fields = _read(Path(f"/proc/{pid}/stat")).rsplit(b")", 1)[-1].split()
    return (fields[0].decode(), int(fields[1])) if len(fields) > 1 else ("?", 0)


def processes_marked(value: str, *, exclude: set[int], root: int | None = None) -> list[Leak]:
    """Live processes (not zombies) whose environment holds ``MARKER=value``, or descending from ``root``,
    other than the pids in ``exclude``: (pid, command line), by pid."""
    wanted = f"{MARKER}={value}".encode()
    found: list[Leak] = []
    parents: dict[int, int] = {}
    marked: set[int] = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        state, parent = _state_and_parent(pid)
        if state in ("Z", "X", "?"):
            continue
        parents[pid] = parent
        if wanted in _read(Path(entry.path) / "environ").split(b"\0"):
            marked.add(pid)
    if root is not None:
        for pid in parents:
            ancestor, seen = parents.get(pid, 0), 0
            while ancestor > 1 and seen < 64:
                if ancestor == root:
                    marked.add(pid)
                    break
                ancestor, seen = parents.get(ancestor, 0), seen + 1
    for pid in sorted(marked - exclude):
        command = _read(Path(f"/proc/{pid}/cmdline")).replace(b"\0", b" ").strip()
        found.append((pid, command.decode(errors="replace")[:160]))
    return found


#: What multiprocessing starts beside the interpreter that uses it (a seed run in-process with a "spawn"
#: pool): each waits on a pipe from its parent and ends when that interpreter does, so not a leak of it.
_HELPERS = (
    "from multiprocessing.resource_tracker import main",
    "from multiprocessing.forkserver import main",
)


def interpreter_helpers_drop(leaks: list[Leak], *, parent: int) -> list[Leak]:
    """``leaks`` without ``parent``'s own multiprocessing helpers (its direct children only)."""
    return [
        (pid, command)
        for pid, command in leaks
        if not (_state_and_parent(pid)[1] == parent and any(helper in command for helper in _HELPERS))
    ]


def processes_kill(leaks: list[Leak]) -> None:
    """SIGKILL each leaked process (only those found: each carries the session's marker)."""
    for pid, _command in leaks:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
