"""`make run`: the web server, the Celery workers (escalations; deliveries), Celery beat and the SMTP
server for reports by email (`mailin`, when MAILIN_DOMAIN is set) together; Ctrl-C stops them all.

Start-up stays short enough to read: the Celery banners are off, the worker and beat log only warnings
(at INFO they report the sweeper every few seconds), axes announces itself once (in this process), and once the web
server answers, the demo's addresses and logins are printed last, where a newcomer looks.
"""

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import Production
from incidents.mail_address import reporting_address
from incidents.management.commands.seed_demo import DEMO_JOIN_CODE, demo_guide
from safetrack.queues import DELIVERY_QUEUE, ESCALATION_QUEUE

# After this long without an answer the command says it is still starting (a slow or busy machine); it
# keeps waiting as long as every process is alive, so the guide is always printed once the server answers.
WEB_SLOW_SECONDS = 30
# "Every interface" is no address a browser opens: links of a server bound to it say "localhost".
PR_SET_PDEATHSIG = 1  # prctl(2)
ANY_INTERFACE = frozenset({"0.0.0.0", "::", ""})  # noqa: S104  # nosec B104


def default_site_url(host: str, port: int, environ: dict[str, str]) -> str:
    """The SITE_URL the stack runs with: the environment's when set (behind a proxy, say), else this server's
    own address, so the links in emails (the one-click acknowledge too), the QR poster and the CSV export
    open the server that sent them (`make run PORT=8302` links to port 8302, not 8000)."""
    if environ.get("SITE_URL"):
        return environ["SITE_URL"].rstrip("/")
    # The guide's own host (127.0.0.1 by default), so a link opens where the login cookie already is.
    name = "localhost" if host in ANY_INTERFACE else f"[{host}]" if ":" in host else host
    return f"http://{name}:{port}"


def _wait_for_port(host: str, port: int, processes: dict[str, subprocess.Popen], say: Callable[[str], None]) -> bool:
    slow_at = time.monotonic() + WEB_SLOW_SECONDS
    while all(p.poll() is None for p in processes.values()):
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
        if slow_at and time.monotonic() > slow_at:
            say("Still starting (a busy machine takes longer)…\n")
            slow_at = 0.0
    return False


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class _Stopped(Exception):
    """Ctrl-C, SIGTERM (a service manager) or SIGHUP (a closed terminal): stop the stack."""


def _stop(signum: int, frame: object) -> None:
    raise _Stopped


def _die_with_parent() -> None:
    """In each child, before it starts (Linux): if this command is killed outright, the child is sent
    SIGTERM rather than left running on its own."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: Ctrl-C and SIGTERM still stop the children


class Command(BaseCommand):
    help = "Run the web server, the Celery workers and Celery beat in one terminal (development)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args: Any, **options: Any) -> None:
        settings.LOCAL_DIR.mkdir(parents=True, exist_ok=True)
        for sub in ("broker/queue", "broker/processed", "broker/control"):
            (settings.LOCAL_DIR / sub).mkdir(parents=True, exist_ok=True)
        python = sys.executable
        host, port = options["host"], options["port"]
        celery = [python, "-m", "celery", "-A", "safetrack", "--quiet"]
        commands = {
            "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            # Escalation timers and the sweeper; deliveries have their own worker, so neither waits for the other.
            "worker": [
                *celery,
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "2",
                "-Q",
                ESCALATION_QUEUE,
                "--hostname",
                "worker@%h",
            ],
            "deliveries": [
                *celery,
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "2",
                "-Q",
                DELIVERY_QUEUE,
                "--hostname",
                "deliveries@%h",
            ],
            "beat": [
                *celery,
                "beat",
                "--loglevel",
                "WARNING",
                "--schedule",
                str(settings.LOCAL_DIR / "celerybeat-schedule"),
            ],
        }
        site_url = default_site_url(host, port, dict(os.environ))
        settings.SITE_URL = site_url
        if settings.MAILIN_DOMAIN and _port_free(settings.MAILIN_HOST, settings.MAILIN_PORT):
            commands["mailin"] = [python, "manage.py", "mailin"]
        elif settings.MAILIN_DOMAIN:
            # Another stack (or a mail server) has the port: the web app still runs, without reports by email.
            where = f"{settings.MAILIN_HOST}:{settings.MAILIN_PORT}"
            self.stderr.write(f"mailin not started: {where} is taken (set MAILIN_PORT).")
        # This process has announced axes already; its children need not say it again.
        quiet = {**os.environ, "AXES_VERBOSE": "false", "SITE_URL": site_url}
        # Each in its own session: a signal to the terminal's or the service's process group reaches this
        # command only, which stops each child by its main process (a Celery worker whose pool processes
        # are signalled with it can hang in its warm shutdown, and outlive the stack).
        processes = {
            name: subprocess.Popen(cmd, env=quiet, start_new_session=True, preexec_fn=_die_with_parent)  # noqa: S603
            for name, cmd in commands.items()
        }
        for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(stop_signal, _stop)
        try:
            if _wait_for_port(host, port, processes, self.stdout.write):
                self._print_guide(host, port, mailin="mailin" in processes)
            while all(p.poll() is None for p in processes.values()):
                time.sleep(0.5)
            stopped = [name for name, p in processes.items() if p.poll() is not None]
            self.stderr.write(f"{', '.join(stopped)} stopped; stopping the rest.")
        except _Stopped:
            self.stdout.write("\nStopping…")
        finally:
            for p in processes.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for p in processes.values():
                try:
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()

    def _print_guide(self, host: str, port: int, *, mailin: bool) -> None:
        site = f"http://{host}:{port}"
        db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        broker = "redis" if settings.REDIS_URL else "local filesystem"
        self.stdout.write(self.style.SUCCESS(f"\nSafeTrack is running at {site}/  (database: {db}, broker: {broker})"))
        self.stdout.write(f"Links in emails, the QR poster and exports start with {settings.SITE_URL}/ (SITE_URL).")
        production = Production.objects.filter(join_code=DEMO_JOIN_CODE).first()
        if production is not None:
            for line in demo_guide(production, site):
                self.stdout.write(line)
            if mailin:
                self.stdout.write(
                    f"Reports by email: SMTP on {settings.MAILIN_HOST}:{settings.MAILIN_PORT}, "
                    f"to {reporting_address(production)}"
                )
        self.stdout.write("Press Ctrl-C to stop the web server, the workers, beat and mailin.\n")
