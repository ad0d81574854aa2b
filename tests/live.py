"""Real processes for tests that are about the wiring: Celery workers and beat on Redis, against the
very PostgreSQL test database pytest-django created, plus an SMTP server and helpers to wait on them.

Registered from tests/conftest.py (`pytest_plugins = ["tests.live"]`). Tests that use a worker:

    @pytest.mark.worker
    def test_something(transactional_db, celery_worker_process, celery_beat_process):
        worker = celery_worker_process(concurrency=1, env={"NOTIFICATION_MAX_ATTEMPTS": "3"})
        beat = celery_beat_process()              # the sweeper every SWEEP_INTERVAL_SECONDS (1 s here)
        ...
        worker.kill()                             # SIGKILL, the whole process group (pool children too)
        wait_until(lambda: ..., timeout=10, message="...")

Rows must be committed for another process to see them, hence `transactional_db` (the factories
request it). `worker` tests are skipped locally without REDIS_URL or PostgreSQL; in CI (CI=true)
they always run (conftest refuses a CI run without both). Each started process writes its log to a
file; the logs of a failed test are printed with its report. The Redis database in REDIS_URL is
flushed before each process group starts (FLUSHDB, never FLUSHALL: other databases on the same
server belong to other people), so use a Redis database of your own.
"""

import contextlib
import email
import email.message
import email.policy
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# What every live process gets unless a test says otherwise: short timers, quiet email.
DEFAULT_ENV = {
    "DJANGO_SETTINGS_MODULE": "safetrack.settings.base",
    "DEBUG": "true",
    "SWEEP_INTERVAL_SECONDS": "1",
    "NOTIFICATION_RETRY_BASE_SECONDS": "1",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "LOG_LEVEL": "INFO",
    "PYTHONUNBUFFERED": "1",
}


def live_skip_reason() -> str | None:
    """Why real-process tests cannot run here, or None. In CI they always run."""
    if os.environ.get("CI") == "true":
        return None
    if not settings.REDIS_URL:
        return "needs a real Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/<your db>)"
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs PostgreSQL: set DATABASE_URL (another process cannot share the SQLite test database)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = live_skip_reason()
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("worker"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    # Fixtures look at this in their teardown to decide whether to print the processes' logs.
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


def wait_until(
    condition: Callable[[], Any], *, timeout: float, interval: float = 0.05, message: str = "condition"
) -> Any:
    """Poll `condition` until it returns something truthy (returned), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {message} (last value: {value!r})")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 10) -> None:
    def listening() -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
        return False

    wait_until(listening, timeout=timeout, message=f"a server on port {port}")


def live_database_url() -> str:
    """DATABASE_URL of the test database this test is connected to (test_<name>, not the dev one)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"


@dataclass
class LiveProcess:
    """One started process, its log file and how to stop it."""

    name: str
    popen: subprocess.Popen
    log_path: Path
    ready_line: str = ""

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text: str, *, timeout: float = 30) -> None:
        def seen() -> bool:
            if not self.alive:
                pytest.fail(f"{self.name} exited ({self.popen.returncode}) before logging {text!r}:\n{self.log()}")
            return text in self.log()

        wait_until(seen, timeout=timeout, interval=0.1, message=f"{self.name} to log {text!r}")

    def wait_ready(self, *, timeout: float = 60) -> "LiveProcess":
        if self.ready_line:
            self.wait_for_log(self.ready_line, timeout=timeout)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group: a SIGKILL takes the pool's children down with the parent,
        as when a container or machine dies."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)  # also reaches pool children whose parent already died
        if sig == signal.SIGKILL:
            self.popen.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        """Warm shutdown (SIGTERM to the parent: it finishes the running tasks and gives back the
        reserved ones), then SIGKILL to the whole group if it takes longer than `timeout`."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        self.kill(signal.SIGKILL)  # what did not stop in time, and pool children left behind


@dataclass
class LiveStack:
    """The processes one test started, sharing one environment; all stopped at teardown."""

    folder: Path
    env: dict[str, str]
    processes: list[LiveProcess] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> LiveProcess:
        log_path = self.folder / f"{name}.log"
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                [PYTHON, *args],
                cwd=ROOT,
                env={**os.environ, **self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so kill() reaches the pool's children
            )
        process = LiveProcess(name, popen, log_path)
        self.processes.append(process)
        return process

    def worker(
        self,
        *,
        name: str | None = None,
        concurrency: int = 2,
        env: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
        ready_timeout: float = 60,
        wait: bool = True,
    ) -> LiveProcess:
        """Start a worker; with wait=False return at once (start several, then `.wait_ready()` each)."""
        name = name or f"worker{sum(p.name.startswith('worker') for p in self.processes) + 1}"
        args = [
            "-m",
            "celery",
            "-A",
            "safetrack",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            *(extra_args or []),
        ]
        process = self.start(name, args, env)
        process.ready_line = " ready."
        if wait:
            process.wait_ready(timeout=ready_timeout)
        return process

    def beat(
        self, *, name: str = "beat", env: dict[str, str] | None = None, ready_timeout: float = 60, wait: bool = True
    ) -> LiveProcess:
        args = [
            "-m",
            "celery",
            "-A",
            "safetrack",
            "beat",
            "--loglevel",
            "INFO",
            "--max-interval",
            "1",
            "--schedule",
            str(self.folder / f"{name}-schedule"),
        ]
        process = self.start(name, args, env)
        process.ready_line = "beat: Starting"
        if wait:
            process.wait_ready(timeout=ready_timeout)
        return process

    def stop_all(self) -> None:
        """At teardown: SIGKILL, which is quick. Nothing they hold matters any more (the next test
        flushes Redis and pytest-django empties the tables); use `stop()` for a warm shutdown."""
        for process in self.processes:
            process.kill()

    def logs(self) -> str:
        return "\n".join(f"----- {p.name} (pid {p.pid}) -----\n{p.log()}" for p in self.processes)


def flush_redis() -> None:
    """Empty the test's Redis database (queued and unacknowledged tasks, the cache). FLUSHDB on
    purpose: on a shared server FLUSHALL would wipe other people's databases; for this app, whose
    broker lives in one database, the two are the same."""
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


@pytest.fixture
def live_env(transactional_db: None, tmp_path: Path) -> dict[str, str]:
    """Environment of the live processes: the test database, the test Redis, short timers."""
    folder = tmp_path / "live"
    folder.mkdir(exist_ok=True)
    return {
        **DEFAULT_ENV,
        "DATABASE_URL": live_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SAFETRACK_LOCAL_DIR": str(folder),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }


@pytest.fixture
def live_stack(request: pytest.FixtureRequest, live_env: dict[str, str], tmp_path: Path) -> Iterator[LiveStack]:
    if live_skip_reason() is not None:
        pytest.skip(live_skip_reason())
    flush_redis()
    stack = LiveStack(folder=Path(live_env["SAFETRACK_LOCAL_DIR"]), env=live_env)
    yield stack
    stack.stop_all()
    if request.node.stash.get(_FAILED, False):
        print(stack.logs())


@pytest.fixture
def celery_worker_process(live_stack: LiveStack) -> Callable[..., LiveProcess]:
    """Start a real `celery -A safetrack worker`; call it again for more workers. Each returns a
    LiveProcess (`.kill()` = SIGKILL, `.stop()` = warm shutdown, `.log()`); all stop at teardown."""
    return live_stack.worker


@pytest.fixture
def celery_beat_process(live_stack: LiveStack) -> Callable[..., LiveProcess]:
    """Start `celery -A safetrack beat` (the sweeper every SWEEP_INTERVAL_SECONDS, 1 s by default)."""
    return live_stack.beat


@dataclass
class SmtpSink:
    """A real SMTP server process (tests/smtp_sink.py) and the messages it received."""

    port: int
    folder: Path
    process: LiveProcess

    @property
    def env(self) -> dict[str, str]:
        """Settings that send a worker's (or `settings`') mail to this server."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
            "EMAIL_TIMEOUT": "5",
        }

    def messages(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(self.folder.glob("*.eml"))
        ]

    def attempts(self) -> list[tuple[float, str, str]]:
        """(time, "accepted" or "refused", recipients) for every message the server was handed."""
        log = self.folder / "attempts.log"
        if not log.exists():
            return []
        return [(float(at), outcome, to) for at, outcome, to in (line.split() for line in log.read_text().splitlines())]


def _start_smtp(tmp_path: Path, name: str, refuse: bool) -> Iterator[SmtpSink]:
    port = free_port()
    folder = tmp_path / name
    stack = LiveStack(folder=tmp_path, env={"PYTHONUNBUFFERED": "1"})
    args = ["-m", "tests.smtp_sink", "--port", str(port), "--folder", str(folder), *(["--refuse"] if refuse else [])]
    process = stack.start(name, args)
    wait_for_port(port)
    yield SmtpSink(port, folder, process)
    process.stop()


@pytest.fixture
def smtp_sink(tmp_path: Path) -> Iterator[SmtpSink]:
    """An SMTP server process that keeps every message it receives."""
    yield from _start_smtp(tmp_path, "smtp-sink", refuse=False)


@pytest.fixture
def smtp_refusing(tmp_path: Path) -> Iterator[SmtpSink]:
    """An SMTP server process that answers 554 to every message."""
    yield from _start_smtp(tmp_path, "smtp-refusing", refuse=True)
