"""Real services the fault tests (and the soak benchmark) break on purpose: a private redis-server that
can be stopped and flushed without touching the machine's shared Redis, a gunicorn web process, and a
browser-like HTTP client that files reports through the real form. Loopback only."""

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis
import requests
from django.utils import timezone

from safetrack.celery import app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


class RedisServer:
    """A private redis-server on a free loopback port, without persistence: stopping and starting it
    again loses everything in it, as a restarted Redis without a volume does."""

    def __init__(self, folder: Path | None = None, port: int | None = None):
        self.port = port or free_port()
        self.owns_folder = folder is None
        self.folder = folder or Path(tempfile.mkdtemp(prefix="st-redis-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *(binary, "--bind", "127.0.0.1", "--port", str(self.port)),
                    *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        """Gone at once (SIGKILL), as when its container dies."""
        if self.running:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def flushall(self) -> None:
        client = redis.Redis.from_url(self.url, socket_timeout=5)
        client.flushall()
        client.close()

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if self.owns_folder:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Send this process's Celery messages (filing's deliveries and timers) to the broker at `url`."""
    previous = app.conf.broker_url
    _broker_reset(url)
    try:
        yield
    finally:
        _broker_reset(previous)


def _broker_reset(url: str) -> None:
    # The app keeps a connection pool and a producer pool built from the URL it first saw (kombu keeps
    # the producer pools per URL: switching back finds the earlier one, so none is closed here).
    app.conf.broker_url = url
    app._pool = None
    with contextlib.suppress(AttributeError):
        app.amqp._producer_pool = None


class Browser:
    """A crew member's browser on a live web process: a session cookie, the CSRF token, the real form."""

    def __init__(self, base_url: str, session_cookie: str, *, timeout: float = 15):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        self.http.cookies.set("sessionid", session_cookie, domain="127.0.0.1", path="/")

    def file_report(
        self, *, production_id: int, title: str, tz: str = "UTC", category: str = "other"
    ) -> requests.Response:
        url = f"{self.base_url}/reports/new/?production={production_id}"
        page = self.http.get(url, timeout=self.timeout)
        page.raise_for_status()
        return self.http.post(
            url,
            data=report_form_data(title=title, category=category, tz=tz, csrf=self.http.cookies.get("csrftoken", "")),
            headers={"Referer": url},
            timeout=self.timeout,
            allow_redirects=False,
        )


def report_form_data(*, title: str, category: str = "other", tz: str = "UTC", csrf: str = "") -> dict[str, str]:
    """What a person types into /reports/new/: the required fields and a location."""
    with timezone.override(tz):
        occurred = timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M")
    return {
        "csrfmiddlewaretoken": csrf,
        "category": category,
        "title": title,
        "description": "Filed by the fault-injection suite: a sandbag slid off the lighting stand.",
        "occurred_at": occurred,
        "location": "Stage 2",
        "identity": "named",
    }
