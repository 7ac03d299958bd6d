"""Real workers on either task backend, for the tests that run the job framework's guarantees on both.

``Backend`` configures this process (the web app's side: where ``job_enqueue`` sends a task) and the worker
processes (``partycard db_worker`` or ``partycard rq_worker``) alike. Workers run in a session of their own
and are killed as a whole group, so no test leaves one behind. The RQ case uses the machine's Redis on
6379 (a database number of its own, flushed after each test, and a queue named for the test) or a private
``redis-server`` that a test may stop and start again (``PrivateRedis``); never the shared one.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests import job_runner
from tests.job_runner import PARTYCARD

__all__ = ["SHARED_REDIS", "Backend", "PrivateRedis", "redis_ping", "require_redis"]

SHARED_REDIS = ("127.0.0.1", 6379)
TEST_REDIS_DB = 14  # the tests' own database number on the shared Redis: flushed after each test


def redis_ping(host: str, port: int, *, timeout: float = 1.0) -> bool:
    """Whether a Redis answers PING at ``host:port`` (raw RESP: no client state to leak between tests)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def require_redis() -> None:
    """Skip when the machine has no Redis on 6379 or no ``redis-server``; fail instead in CI."""
    reason = ""
    if not redis_ping(*SHARED_REDIS):
        reason = "no Redis on 127.0.0.1:6379 (apt-get install redis-server)"
    elif shutil.which("redis-server") is None:
        reason = "no redis-server binary to start a private Redis (apt-get install redis-server)"
    if reason:
        if os.environ.get("PARTYCARD_REQUIRE_REDIS") == "1":
            pytest.fail(f"PARTYCARD_REQUIRE_REDIS=1 but {reason}")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    """A ``redis-server`` of this test's own on a free port, without persistence: stopping it loses every
    queued task, as a Redis restarted without its data does."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 - the child holds it
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 20
        while not redis_ping("127.0.0.1", self.port):
            assert self.process.poll() is None, (self.directory / "redis.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the private Redis did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        """SHUTDOWN NOSAVE, as a crash would leave it: its data is gone."""
        if self.process is None or self.process.poll() is not None:
            return
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(b"SHUTDOWN NOSAVE\r\n")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@dataclass
class Backend:
    """One task backend, for this process and the workers it starts."""

    name: str  # "db" or "rq"
    tmp: Path
    redis_url: str = ""
    queue: str = "default"
    workers: list[subprocess.Popen[str]] = field(default_factory=list)

    def configure(self, settings: Any) -> None:
        """Point this process's ``job_enqueue`` at the backend (pytest-django's ``settings`` fixture)."""
        settings.PARTYCARD = {**settings.PARTYCARD, "TASKS_BACKEND": self.name, "TASKS_QUEUE": self.queue}
        if self.name == "rq":
            queue = {"URL": self.redis_url, "DEFAULT_TIMEOUT": -1}
            settings.RQ_QUEUES = {"default": queue, self.queue: queue}  # as settings/base.py has it
            backend = "django_tasks_rq.RQBackend"
        else:
            backend = "django_tasks_db.DatabaseBackend"
        settings.TASKS = {"default": {"BACKEND": backend, "QUEUES": [self.queue]}}

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": job_runner.database_url(),
            "DJANGO_SETTINGS_MODULE": "partycard.settings.test",
            "PARTYCARD_TASKS_BACKEND": self.name,
            "PARTYCARD_TASKS_QUEUE": self.queue,
            "PARTYCARD_REDIS_URL": self.redis_url or "redis://127.0.0.1:9/0",
            "PARTYCARD_JOB_LEASE_SECONDS": "2",
            "PARTYCARD_JOB_SWEEP_SECONDS": "0.5",
            "PARTYCARD_JOB_REDELIVER_SECONDS": "2",
            "PARTYCARD_JOB_CHUNK_PAUSE": "0",
            **extra,
        }

    def start_worker(self, name: str, **extra: str) -> subprocess.Popen[str]:
        """The real worker command of the backend, in a session of its own; its output in ``tmp``."""
        if self.name == "rq":
            command = [
                str(PARTYCARD),
                "rq_worker",
                "--name",
                f"{name}-{uuid.uuid4().hex[:8]}",
                "--max-backoff",
                "2",
            ]
        else:
            command = [str(PARTYCARD), "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
            command += ["--worker-id", name]
        with open(self.tmp / f"worker-{name}.log", "w") as log:
            worker = subprocess.Popen(
                command,
                env=self.env(**extra),
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        self.workers.append(worker)
        return worker

    def log(self, name: str) -> str:
        return (self.tmp / f"worker-{name}.log").read_text()[-4000:]

    @staticmethod
    def kill(worker: subprocess.Popen[str]) -> None:
        """SIGKILL to the worker's whole process group (as a machine lost would), and reap it."""
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
        for worker in self.workers:
            worker.wait(timeout=30)


def backend_fixture(request: pytest.FixtureRequest, tmp_path: Path, settings: Any) -> Iterator[Backend]:
    """The body of the ``tasks_backend`` fixture (tests/jobs/test_broker.py)."""
    name = request.param
    backend = Backend(name=name, tmp=tmp_path)
    if name == "rq":
        require_redis()
        backend.redis_url = f"redis://{SHARED_REDIS[0]}:{SHARED_REDIS[1]}/{TEST_REDIS_DB}"
        backend.queue = f"test-{uuid.uuid4().hex[:10]}"
    backend.configure(settings)
    try:
        yield backend
    finally:
        backend.stop_all()
        if name == "rq":
            import redis

            client = redis.Redis.from_url(backend.redis_url)
            client.flushdb()
            client.close()
