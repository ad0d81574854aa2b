"""Real processes for the tests and the benchmarks: a private redis-server that can be stopped and
flushed without touching the machine's shared Redis, Django's own processes (gunicorn, Celery worker
and beat) started with their logs in files, and a browser-like HTTP client that files reports through
the real form. Loopback only."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
import requests
from django.utils import timezone

from safetrack.celery import app
from safetrack.queues import ALL_QUEUES

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def poll_until(
    condition: Callable[[], Any], *, timeout: float, interval: float = 0.05, message: str = "condition"
) -> Any:
    """Poll `condition` until it returns something truthy (returned), or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {message} (last value: {value!r})")
        time.sleep(interval)


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
                raise RuntimeError(
                    f"{self.name} exited ({self.popen.returncode}) before logging {text!r}:\n{self.log()}"
                )
            return text in self.log()

        poll_until(seen, timeout=timeout, interval=0.1, message=f"{self.name} to log {text!r}")

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
        queues: str = ALL_QUEUES,
    ) -> LiveProcess:
        """Start a worker; with wait=False return at once (start several, then `.wait_ready()` each).
        It consumes every queue unless `queues` says which (safetrack/queues.py: escalations, deliveries)."""
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
            "-Q",
            queues,
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
