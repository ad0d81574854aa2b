"""Real processes for tests that are about the wiring: Celery workers and beat on Redis, against the
very PostgreSQL test database pytest-django created, plus an SMTP server and helpers to wait on them.
The processes themselves (LiveStack, LiveProcess) live in support/processes.py, which the benchmarks
share; this module adds the pytest fixtures around them.

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

import email
import email.message
import email.policy
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

# Re-exported: the tests import them from here with the fixtures.
from support.processes import LiveProcess as LiveProcess
from support.processes import LiveStack as LiveStack
from support.processes import free_port as free_port
from support.processes import wait_for_port as wait_for_port

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


def live_database_url() -> str:
    """DATABASE_URL of the test database this test is connected to (test_<name>, not the dev one)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"


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
    """A real SMTP server process (support/smtp_sink.py) and the messages it received."""

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
    args = ["-m", "support.smtp_sink", "--port", str(port), "--folder", str(folder), *(["--refuse"] if refuse else [])]
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
