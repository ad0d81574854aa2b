"""Soak: file reports at a steady rate for a while, break something every minute, then check that
nothing was lost, nothing fired twice and every trail verifies.

    .venv/bin/python -m bench.soak [--minutes 10] [--rate 1.0] [--sweep-interval 5]

Everything is its own and on loopback: a database (st_bench_soak, dropped afterwards unless --keep),
a redis-server on a free port, an SMTP sink, gunicorn, one Celery worker and beat. A crew member files
through the real form (GET, then POST with the CSRF token) at --rate reports per second. Level 1
times out after 10 s and level 2 after 20 s (higher levels after a day), so every report climbs twice
and then rests. From the second minute on, one fault a minute, in turn:

- kill -9 the worker (and its pool), start a new one;
- FLUSHALL the private Redis (queued timers, deliveries, unacknowledged messages, the cache);
- stop beat, start it again.

Afterwards filing stops, the system gets up to two minutes to settle, and the invariants are checked
(support/invariants.py) with the SMTP server's messages. The table compares the escalation lag
(deadline to `escalated` event) of the first, fault-free minute (the baseline) with the rest; the last
line is `soak_invariant_problems <n> count` (0 is a pass).
"""

import argparse
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bench import harness

DATABASE = "st_bench_soak"
LEVEL_TIMEOUTS = {1: timedelta(seconds=10), 2: timedelta(seconds=20)}
SETTLE_SECONDS = 120
FAULTS = ("kill -9 worker", "FLUSHALL redis", "restart beat")


@dataclass
class Filing:
    title: str
    at: float
    seconds: float
    status: int


@dataclass
class Log:
    filings: list[Filing] = field(default_factory=list)
    faults: list[tuple[float, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    started_epoch: float = 0.0


# Django is set up against the soak's own database before any model is imported (hence the imports
# inside the functions below).


def cast() -> tuple[object, object]:
    """A production whose first two levels time out in seconds, a handler at every level, a crew member."""
    from accounts.models import Department, Membership, Production, Role, User
    from incidents.models import EscalationLevel
    from incidents.services.policy import policy_create_default

    production = Production.objects.create(name="Soak", timezone="UTC")
    policy_create_default(production=production)
    for number, timeout in LEVEL_TIMEOUTS.items():
        EscalationLevel.objects.filter(policy__production=production, number=number).update(
            critical_timeout=timeout, high_timeout=timeout, medium_timeout=timeout, low_timeout=timeout
        )
    crew = None
    for role in (Role.DEPARTMENT_HEAD, Role.ARMORER, Role.SAFETY, Role.UPM, Role.PRODUCER, Role.EXECUTIVE, Role.CREW):
        user = User.objects.create_user(email=f"soak-{role}@bench.example", full_name=f"Soak {role}")
        Membership.objects.create(user=user, production=production, role=role, department=Department.GRIP)
        crew = user
    return production, crew


def session_cookie(user: object) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def escalation_lags() -> list[tuple[float, float]]:
    """(deadline as epoch seconds, lag in seconds) of every escalation, from the trails."""
    from incidents.models import Event, EventKind

    lags = []
    deadline = None
    current = None
    for event in Event.objects.filter(kind__in=[EventKind.FILED, EventKind.ESCALATED]).order_by("report_id", "seq"):
        if event.report_id != current:
            current, deadline = event.report_id, None
        if event.kind == EventKind.FILED:
            deadline = event.created_at + LEVEL_TIMEOUTS[1]
            continue
        if deadline is not None:
            lags.append((deadline.timestamp(), (event.created_at - deadline).total_seconds()))
        deadline = event.created_at + LEVEL_TIMEOUTS.get(event.payload["to_level"], timedelta(days=1))
    return lags


def settle(deadline: float) -> float:
    """Wait (bounded) until every report has climbed to its resting level (no deadline within the
    hour) and no delivery is pending: then nothing more can happen to check."""
    from django.utils import timezone

    from incidents.models import Notification, Report, ReportStatus

    started = time.monotonic()
    while time.monotonic() < deadline:
        pending = Notification.objects.filter(status__in=["pending", "sending"]).count()
        climbing = Report.objects.filter(
            status=ReportStatus.OPEN, next_escalation_at__lt=timezone.now() + timedelta(hours=1)
        ).count()
        if not pending and not climbing:
            break
        time.sleep(2)
    return time.monotonic() - started


def run(options: argparse.Namespace, database_url: str, redis: harness.RedisServer, folder: Path) -> int:
    from django.core.management import call_command

    from support.invariants import invariants_check
    from support.processes import Browser, LiveStack

    call_command("migrate", verbosity=0)
    production, crew = cast()
    smtp_port, web_port = harness.free_port(), harness.free_port()
    env = {
        "DJANGO_SETTINGS_MODULE": "safetrack.settings.base",
        "DEBUG": "true",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        "SAFETRACK_LOCAL_DIR": str(folder),
        "MEDIA_ROOT": str(folder / "media"),
        "SWEEP_INTERVAL_SECONDS": str(options.sweep_interval),
        "NOTIFICATION_RETRY_BASE_SECONDS": "2",
        "NOTIFICATION_CLAIM_LEASE_SECONDS": "15",
        "NOTIFICATION_LOST_TASK_GRACE_SECONDS": "10",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "5",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    stack = LiveStack(folder=folder, env=env)
    log = Log()
    try:
        stack.start("smtp", ["-m", "support.smtp_sink", "--port", str(smtp_port), "--folder", str(folder / "mail")])
        harness.wait_for_port(smtp_port)
        stack.start("web", ["-m", "gunicorn", "safetrack.wsgi", "--bind", f"127.0.0.1:{web_port}", "--threads", "4"])
        harness.wait_for_port(web_port, timeout=60)
        workers = [stack.worker(name="worker0", concurrency=2, env={"LOG_LEVEL": "INFO"})]
        beats = [stack.beat(name="beat0", env={"LOG_LEVEL": "INFO"})]
        browser = Browser(f"http://127.0.0.1:{web_port}", session_cookie(crew), timeout=30)
        soak(options, log, browser, production, redis, stack, workers, beats)
        settled_after = settle(time.monotonic() + SETTLE_SECONDS)
    finally:
        stack.stop_all()

    messages = [
        line.split(":", 1)[1].strip()
        for path in sorted((folder / "mail").glob("*.eml"))
        for line in path.read_text(errors="replace").splitlines()
        if line.lower().startswith("message-id:")
    ]
    filed = [f.title for f in log.filings if f.status == 302]
    result = invariants_check(titles=filed, email_message_ids=messages, allow_resent_emails=True)
    return report(options, log, result, settled_after, len(messages))


def soak(options, log, browser, production, redis, stack, workers, beats) -> None:
    started = time.monotonic()
    log.started_epoch = time.time()
    end = started + options.minutes * 60
    interval = 1.0 / options.rate
    next_fault = started + 60
    fault_number = 0
    limit = int(options.minutes * 60 * options.rate) + 1  # bounded in count as well as in time
    for number in range(limit):
        due = started + number * interval
        if due >= end:
            break
        time.sleep(max(0.0, due - time.monotonic()))
        if time.monotonic() >= next_fault and next_fault < end - 30:
            kind = FAULTS[fault_number % len(FAULTS)]
            inject(kind, redis, stack, workers, beats, fault_number)
            log.faults.append((time.monotonic() - started, kind))
            print(f"{time.monotonic() - started:6.1f}s fault: {kind}", flush=True)
            fault_number += 1
            next_fault += 60
        title = f"Soak {uuid.uuid4().hex[:12]}"
        t = time.perf_counter()
        try:
            response = browser.file_report(production_id=production.pk, title=title, tz="UTC")
            status = response.status_code
        except Exception as exc:  # a timeout or a refused connection is a failed filing, counted
            status = 0
            log.errors.append(f"{title}: {exc.__class__.__name__}: {exc}")
        log.filings.append(Filing(title, time.monotonic() - started, time.perf_counter() - t, status))


def inject(kind: str, redis, stack, workers, beats, number: int) -> None:
    if kind == "kill -9 worker":
        workers[-1].kill()
        workers.append(stack.worker(name=f"worker{number + 1}", concurrency=2, env={"LOG_LEVEL": "INFO"}))
    elif kind == "FLUSHALL redis":
        redis.flushall()
    else:
        beats[-1].stop()
        beats.append(stack.beat(name=f"beat{number + 1}", env={"LOG_LEVEL": "INFO"}))


def report(options, log, result, settled_after: float, messages: int) -> int:
    ok = [f for f in log.filings if f.status == 302]
    failed = [f for f in log.filings if f.status != 302]
    lags = escalation_lags()
    # No fault before the 60th second: escalations due by then are the same run's baseline.
    baseline = [lag for at, lag in lags if at - log.started_epoch < 60]
    rest = [lag for at, lag in lags if at - log.started_epoch >= 60]
    print()
    print(f"machine: {harness.machine()}")
    print(f"soak: {options.minutes:g} min at {options.rate:g} report/s, sweep every {options.sweep_interval} s")
    print("faults: " + ", ".join(f"{at:.0f}s {kind}" for at, kind in log.faults))
    print(
        harness.table(
            ["what", "count", "p50", "p95", "p99", "max"],
            [
                ["filing answered 302 (ms)", len(ok), *_stats([f.seconds * 1000 for f in ok])],
                ["filing failed", len(failed), "-", "-", "-", "-"],
                ["escalation lag, first minute, no fault (s)", len(baseline), *_stats(baseline)],
                ["escalation lag, minutes with faults (s)", len(rest), *_stats(rest)],
            ],
        )
    )
    print(f"settled {settled_after:.1f} s after filing stopped; SMTP messages received: {messages}")
    print(f"invariants: {result.summary()}")
    for error in log.errors[:10]:
        print("FILING ERROR:", error)
    for problem in result.problems[:20]:
        print("PROBLEM:", problem)
    problems = len(result.problems) + len(failed)
    harness.last_line("soak_invariant_problems", problems, "count")
    return 0 if problems == 0 else 1


def _stats(values: list[float]) -> list[float]:
    return [
        harness.median(values),
        harness.percentile(values, 95),
        harness.percentile(values, 99),
        max(values, default=0.0),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=1.0, help="reports filed per second")
    parser.add_argument("--sweep-interval", type=int, default=5)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    if not (0 < options.rate <= 20 and 0 < options.minutes <= 120):
        parser.error("--rate must be in (0, 20] and --minutes in (0, 120]")
    database_url = harness.database_url_for(options.database)
    folder = Path(os.environ.get("SOAK_DIR", "")) if os.environ.get("SOAK_DIR") else Path(f"/tmp/st-soak-{os.getpid()}")
    folder.mkdir(parents=True, exist_ok=True)
    passed = False
    with harness.RedisServer(folder=folder / "redis") as redis:
        harness.database_recreate(database_url)
        try:
            harness.django_setup(database_url=database_url, redis_url=redis.url)
            status = run(options, database_url, redis, folder)
            passed = status == 0
            return status
        finally:
            from django.db import connections

            connections.close_all()
            if not options.keep:
                harness.database_drop(database_url)
            if options.keep or not passed:
                print(f"logs and mail kept in {folder}")
            else:
                shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
