"""The leak scanner of tests/conftest.py finds a process carrying a session's marker, a double-forked one
in a new session included, and nothing once it is killed."""

from __future__ import annotations

import os
import subprocess
import time

from tests.process_leaks import MARKER, interpreter_helpers_drop, processes_kill, processes_marked


def _wait_found(value: str, count: int) -> list[tuple[int, str]]:
    deadline = time.monotonic() + 5
    while True:
        found = processes_marked(value, exclude={os.getpid()})
        if len(found) >= count or time.monotonic() > deadline:
            return found


def test_a_marked_sleep_is_found_then_killed() -> None:
    value = f"unit-{os.getpid()}-{time.monotonic_ns()}"  # not this session's: the session check skips it
    sleeper = subprocess.Popen(["sleep", "37"], env={**os.environ, MARKER: value})
    try:
        found = _wait_found(value, 1)
        assert found == [(sleeper.pid, "sleep 37")]
        processes_kill(found)
        sleeper.wait(timeout=5)
        assert processes_marked(value, exclude={os.getpid()}) == []
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_double_forked_process_in_a_new_session_is_found() -> None:
    value = f"unit-{os.getpid()}-{time.monotonic_ns()}"
    # The shell starts sleep in the background and exits: sleep is reparented away from this process.
    subprocess.run(
        ["sh", "-c", "sleep 38 >/dev/null 2>&1 &"], env={**os.environ, MARKER: value}, start_new_session=True
    )
    found = _wait_found(value, 1)
    try:
        assert [command for _pid, command in found] == ["sleep 38"]
        assert all(pid != os.getpid() for pid, _command in found)
    finally:
        processes_kill(found)
    deadline = time.monotonic() + 5
    while processes_marked(value, exclude={os.getpid()}) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_marked(value, exclude={os.getpid()}) == []


def test_a_child_started_without_the_environment_is_found_by_descent() -> None:
    value = f"unit-{os.getpid()}-{time.monotonic_ns()}"
    sleeper = subprocess.Popen(["sleep", "39"], env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    try:
        found = processes_marked(value, exclude={os.getpid()}, root=os.getpid())
        assert (sleeper.pid, "sleep 39") in found
    finally:
        sleeper.kill()
        sleeper.wait()


def test_this_interpreters_own_resource_tracker_is_not_a_leak() -> None:
    """A "spawn" pool run in-process (the seed's) starts multiprocessing's resource tracker as a child of
    pytest; it ends when pytest does, so the session check leaves it alone (a tracker orphaned by a killed
    child process is another matter: its parent is not this process)."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    value = f"unit-{os.getpid()}-{time.monotonic_ns()}"
    children = processes_marked(value, exclude={os.getpid()}, root=os.getpid())
    assert any("multiprocessing.resource_tracker" in command for _pid, command in children)
    assert not any(
        "multiprocessing.resource_tracker" in command
        for _pid, command in interpreter_helpers_drop(children, parent=os.getpid())
    )
