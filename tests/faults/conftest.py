"""Fixtures of the fault-injection suite: a production whose first level times out in seconds, short
recovery timers for the live processes, a private Redis to break, and a gunicorn web process."""

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from incidents.models import EscalationLevel
from support.processes import Browser, LiveStack, RedisServer, broker_at, free_port, wait_for_port

# Level 1 times out this fast; every higher level keeps its long default (a day for a low-severity
# report), so each report escalates once and then rests: a stable end state to check.
LEVEL_ONE_SECONDS = 2
# How long a fault case may take before pytest-timeout stops it (each stays well under this).
CASE_TIMEOUT = 120
# Beat queues a sweep this often in the fault cases.
SWEEP_INTERVAL_SECONDS = 1

FAULT_ENV = {
    "SWEEP_INTERVAL_SECONDS": str(SWEEP_INTERVAL_SECONDS),
    "NOTIFICATION_RETRY_BASE_SECONDS": "1",
    # A delivery claimed by a worker that died mid-send is given back after this long...
    "NOTIFICATION_CLAIM_LEASE_SECONDS": "4",
    # ...and a pending one whose task vanished (Redis flushed or down) is queued again after this.
    "NOTIFICATION_LOST_TASK_GRACE_SECONDS": "2",
}


@pytest.fixture
def fast_production(production, crew, ladder_cast):
    """The cast's production with a level-1 timeout of LEVEL_ONE_SECONDS for every severity."""
    seconds = timedelta(seconds=LEVEL_ONE_SECONDS)
    EscalationLevel.objects.filter(policy__production=production, number=1).update(
        critical_timeout=seconds, high_timeout=seconds, medium_timeout=seconds, low_timeout=seconds
    )
    return production


@pytest.fixture
def fault_env(live_env: dict[str, str]) -> dict[str, str]:
    live_env.update(FAULT_ENV)
    return live_env


@pytest.fixture
def own_redis(fault_env: dict[str, str], tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own on a free port: the live processes and this process's
    filing use it, so it can be stopped or flushed without touching the machine's shared Redis."""
    server = RedisServer(folder=tmp_path / "redis").start()
    fault_env["REDIS_URL"] = server.url
    try:
        with broker_at(server.url):
            yield server
    finally:
        server.stop()


@pytest.fixture
def web_process(live_stack: LiveStack) -> Callable[[], str]:
    """Start gunicorn on the test database (and the stack's Redis); returns its base URL."""

    def start() -> str:
        port = free_port()
        args = ["-m", "gunicorn", "safetrack.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
        live_stack.start("web", [*args, "--threads", "4", "--timeout", "30", "--graceful-timeout", "5"])
        wait_for_port(port, timeout=30)
        return f"http://127.0.0.1:{port}"

    return start


@pytest.fixture
def browser_for(client) -> Callable[..., Browser]:
    """A logged-in browser for `user` on a live web process (the session is written to the test database)."""

    def make(user, base_url: str) -> Browser:
        client.force_login(user)
        return Browser(base_url, client.cookies["sessionid"].value)

    return make
