"""How late after its deadline a report is escalated, with 10,000 open reports, a real worker and beat.

    .venv/bin/python -m bench.escalation_lag [--reports 10000] [--due N] [--spread 300] [--lead 40]
                                             [--concurrency 2] [--delivery-concurrency 2] [--baseline 500]
                                             [--keep]

It creates its own database (st_bench_escalation, dropped at the end unless --keep) and its own
redis-server on a free loopback port, starts a real `celery -A safetrack worker` for the escalation
queue (-c --concurrency, log level INFO, DEBUG off), a second one for the delivery queue
(-c --delivery-concurrency, as `make run` and docker-compose.yml do) and `celery beat` (the sweeper
every 5 s, the default), then bulk-inserts
--reports open reports (each with its hash-chained `filed` event) in 20 productions; --due of them
(default: all) have level-1 deadlines spread evenly over --spread seconds starting --lead seconds
later, the others hours away. Each due deadline gets its ETA task, as filing queues it; level 2 waits
an hour, so each report escalates once. Alongside go
--baseline no-op ETA tasks (`bench.noop_eta`) spread over the same seconds through the same broker and
worker: the floor any timer can reach here, with the same load on the machine.

When every report is escalated and every notification delivered it prints, for the reports (deadline
to the COMMIT of the transaction that escalated it, noted by a deferred trigger of the benchmark's
database; beside it the deadline to the event's own timestamp, which a catch-up batch stamps before its
work), for the messages those escalations sent (the `escalated` event to the
email's `sent_at`: the delivery lag) and for the no-op tasks (ETA to run): median, p90, p99 and max lag; how
many escalations the timers made and how many the sweeper did; reports missed or escalated twice
(the invariants of support/invariants.py over every report); and ends with
`delivery_lag_p99 <ms> ms` then `escalation_lag_p99 <ms> ms`. Targets: escalations p99 within about
a second of the deadline; deliveries p99 under 5 s after their escalation (issue 18).
"""

import argparse
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import redis
from celery import shared_task

from bench import harness

DATABASE = "st_bench_escalation"
NOOP_LAGS = "bench:noop-lags"
PRODUCTIONS = 20
IDLE_BASELINE = 20
TARGET_P99_MS = 1000.0
TARGET_DELIVERY_P99_MS = 5000.0
OUTCOME = re.compile(r"escalate_report\[[^\]]+\] succeeded in [\d.e-]+s: '(\w+)'")
CAUGHT_UP = re.compile(r"ran late: caught up (\d+) due reports")
SWEPT = re.compile(r"tasks\.sweep\[[^\]]+\] succeeded in [\d.e-]+s: \{'escalated': (\d+)")
# When each escalation is committed, not when its event was stamped: a catch-up batch stamps its events
# with the batch's `now` before doing the batch's work. A deferred constraint trigger (of this benchmark's
# database only) runs at COMMIT, after all of the transaction's work, and notes the clock there.
COMMIT_STAMPS = """
CREATE TABLE bench_escalation_commit (event_id bigint PRIMARY KEY, committed_at timestamptz NOT NULL);
CREATE FUNCTION bench_escalation_commit_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bench_escalation_commit (event_id, committed_at) VALUES (NEW.id, clock_timestamp());
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER bench_escalation_commit_stamp AFTER INSERT ON incidents_event
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.kind = 'escalated')
    EXECUTE FUNCTION bench_escalation_commit_stamp();
"""


@shared_task(name="bench.noop_eta", ignore_result=True)
def noop_eta(eta: str, tag: str = "busy") -> None:
    """The baseline: a timer that does nothing but note how late it ran (imported by the worker, -I)."""
    lag = time.time() - datetime.fromisoformat(eta).timestamp()
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.rpush(f"{NOOP_LAGS}:{tag}", f"{lag:.6f}")
    client.close()


def start(name: str, args: list[str], env: dict[str, str], folder: Path) -> tuple[subprocess.Popen, Path]:
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [harness.PYTHON, "-m", "celery", "-A", "safetrack", *args],
            cwd=harness.ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, log


def wait_for(condition, *, timeout: float, what: str, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# Django is set up (against the benchmark's database) before any model is imported: hence the imports
# inside these functions.


def seed(*, reports: int, due: int, first_deadline: datetime, spread: float, rng: random.Random) -> dict[int, datetime]:
    """Productions with a handler at every level; `reports` open reports at level 1, `due` of which have
    deadlines spread evenly over `spread` seconds from `first_deadline` (the rest hours away). Returns
    the deadlines of those `due`."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Department
    from bench.sweeper import copy_in, reserve_report_ids, seed_cast
    from incidents.categories import Category, Severity
    from incidents.models import Event, EventKind, Report
    from incidents.services.policy import policy_create_default, policy_set_speed
    from incidents.services.trail import event_build

    now = timezone.now()
    with transaction.atomic():
        prods, reporters = seed_cast(PRODUCTIONS)
        for production in prods:
            # Level 1's deadlines are set per report below; every later deadline is an hour away.
            policy_set_speed(
                policy=policy_create_default(production=production),
                per_level=timedelta(hours=1),
                resolve=timedelta(hours=1),
            )
    ids = reserve_report_ids(reports)
    offsets: list[float | None] = [spread * n / due for n in range(due)] + [None] * (reports - due)
    rng.shuffle(offsets)
    rows, events, deadlines = [], [], {}
    for n, pk in enumerate(ids):
        production = prods[n % PRODUCTIONS]
        offset = offsets[n]
        later = timedelta(hours=rng.uniform(2, 24))
        deadline = first_deadline + (timedelta(seconds=offset) if offset is not None else later)
        report = Report(
            pk=pk,
            production=production,
            category=Category.OTHER,
            severity=Severity.HIGH,
            title=f"Bench report {n}",
            description="Seeded by bench/escalation_lag.py.",
            occurred_at=now - timedelta(minutes=5),
            department=Department.GRIP,
            reporter=reporters[production.pk],
            escalation_level=1,
            next_escalation_at=deadline,
            created_at=now,
        )
        event = event_build(
            report=report,
            kind=EventKind.FILED,
            actor=reporters[production.pk],
            at=now,
            public=True,
            payload={"category": report.category, "severity": report.severity, "identity": "named", "level": 1},
        )
        rows.append(report)
        events.append(event)
        if offset is not None:
            deadlines[pk] = deadline
    with transaction.atomic():
        copy_in(Report, rows, exclude=())
        copy_in(Event, events, exclude=("id",))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return deadlines


def stats_row(name: str, lags_ms: list[float]) -> list[object]:
    return [
        name,
        len(lags_ms),
        harness.median(lags_ms),
        harness.percentile(lags_ms, 90),
        harness.percentile(lags_ms, 99),
        max(lags_ms, default=0.0),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=10_000, help="open reports in the database")
    parser.add_argument("--due", type=int, default=0, help="how many of them fall due in --spread (default: all)")
    parser.add_argument("--spread", type=float, default=300.0, help="seconds the deadlines are spread over")
    parser.add_argument("--lead", type=float, default=40.0, help="seconds from seeding to the first deadline")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (the machine's cores)")
    parser.add_argument("--delivery-concurrency", type=int, default=2, help="processes of the delivery queue's worker")
    parser.add_argument("--baseline", type=int, default=500, help="no-op ETA tasks over the same seconds")
    parser.add_argument("--sweep-interval", type=int, default=5)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs afterwards")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()

    database_url = harness.database_url_for(options.database)
    folder = Path(os.environ.get("BENCH_LOG_DIR", "/tmp")) / f"st-bench-escalation-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"machine: {harness.machine()}")
    with harness.RedisServer(folder=folder / "redis") as redis_server:
        harness.database_recreate(database_url)
        processes: list[subprocess.Popen] = []
        try:
            harness.django_setup(database_url=database_url, redis_url=redis_server.url)
            return run(options, database_url, redis_server.url, folder, processes)
        finally:
            for process in processes:
                _stop(process)
            from django.db import connections

            connections.close_all()
            if not options.keep:
                harness.database_drop(database_url)
                shutil.rmtree(folder, ignore_errors=True)  # the worker's and beat's logs


def _stop(process: subprocess.Popen) -> None:
    """Warm shutdown, then the whole process group if it takes too long."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def run(options: argparse.Namespace, database_url: str, redis_url: str, folder: Path, processes: list) -> int:
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from incidents.models import Event, EventKind, Heartbeat, Notification
    from incidents.services import dispatch
    from incidents.services.sweeper import SWEEPER
    from safetrack.celery import app
    from safetrack.queues import DELIVERY_QUEUE, ESCALATION_QUEUE
    from support.invariants import invariants_check

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(COMMIT_STAMPS)
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "safetrack.settings.base",
        "DEBUG": "false",  # production-like: no query log kept in memory
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "localhost",
        "SWEEP_INTERVAL_SECONDS": str(options.sweep_interval),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",  # rendered, then dropped
        "LOG_LEVEL": "WARNING",
    }
    common = ["--loglevel", "INFO"]
    worker, worker_log = start(
        "worker",
        [
            "worker",
            *common,
            "-c",
            str(options.concurrency),
            "-Q",
            ESCALATION_QUEUE,
            "-n",
            "escalations@%h",
            "-I",
            "bench.escalation_lag",
            "--without-gossip",
        ],
        env,
        folder,
    )
    processes.append(worker)
    deliverer, deliverer_log = start(
        "deliveries",
        [
            "worker",
            *common,
            "-c",
            str(options.delivery_concurrency),
            "-Q",
            DELIVERY_QUEUE,
            "-n",
            "deliveries@%h",
            "--without-gossip",
        ],
        env,
        folder,
    )
    processes.append(deliverer)
    beat, _ = start("beat", ["beat", *common, "--schedule", str(folder / "beat-schedule")], env, folder)
    processes.append(beat)
    wait_for(lambda: " ready." in worker_log.read_text(), timeout=120, what="the worker")
    wait_for(lambda: " ready." in deliverer_log.read_text(), timeout=120, what="the delivery worker")
    # The first sweep marks the timer horizon as armed; from then on only filing queues these timers.
    wait_for(lambda: Heartbeat.objects.filter(name=SWEEPER).exists(), timeout=60, what="the first sweep")

    rng = random.Random(options.seed)
    t = time.perf_counter()
    first_deadline = timezone.now() + timedelta(seconds=options.lead)
    deadlines = seed(
        reports=options.reports,
        due=options.due or options.reports,
        first_deadline=first_deadline,
        spread=options.spread,
        rng=rng,
    )
    seeded = time.perf_counter() - t
    t = time.perf_counter()
    dispatch.escalation_timers_send([(pk, 1, at) for pk, at in deadlines.items()])
    noop_etas = [
        first_deadline + timedelta(seconds=options.spread * (n + 0.5) / options.baseline)
        for n in range(options.baseline)
    ]
    with app.producer_or_acquire() as producer:
        for eta in noop_etas:
            app.send_task("bench.noop_eta", args=[eta.isoformat(), "busy"], eta=eta, producer=producer)
        # And a few before the first deadline: the same timer while the worker only takes in the timers.
        idle_from = timezone.now() + timedelta(seconds=1)
        idle_span = (first_deadline - idle_from).total_seconds() - 1
        for n in range(IDLE_BASELINE if idle_span > 1 else 0):
            eta = idle_from + timedelta(seconds=idle_span * n / IDLE_BASELINE)
            app.send_task("bench.noop_eta", args=[eta.isoformat(), "idle"], eta=eta, producer=producer)
    queued = time.perf_counter() - t
    ahead = (first_deadline - timezone.now()).total_seconds()
    print(
        f"seeded {options.reports} open reports in {seeded:.1f} s, queued the timers of the {len(deadlines)} due "
        f"and {options.baseline} "
        f"no-op timers in {queued:.1f} s; first deadline in {ahead:.1f} s, last in {ahead + options.spread:.0f} s"
    )
    if ahead < 1:
        print("WARNING: the first deadlines passed before their timers were queued; raise --lead")

    escalated = Event.objects.filter(kind=EventKind.ESCALATED, payload__from_level=1)
    last_deadline = max(deadlines.values())
    wait_for(
        lambda: escalated.count() >= len(deadlines) and timezone.now() > last_deadline,
        timeout=options.lead + options.spread + 900,
        what="every report to be escalated",
        interval=2,
    )
    done_at = timezone.now()
    wait_for(
        lambda: not Notification.objects.filter(status__in=["pending", "sending"]).exists(),
        timeout=900,
        what="every notification to be delivered",
        interval=2,
    )
    drained = (timezone.now() - last_deadline).total_seconds()

    per_report = dict(escalated.values("report_id").annotate(n=Count("pk")).values_list("report_id", "n"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT event_id, committed_at FROM bench_escalation_commit")
        committed = dict(cursor.fetchall())
    lags_ms, stamped_ms = [], []
    for event_id, report_id, at in escalated.values_list("pk", "report_id", "created_at"):
        if report_id in deadlines:
            stamped_ms.append((at - deadlines[report_id]).total_seconds() * 1000)
            lags_ms.append((committed[event_id] - deadlines[report_id]).total_seconds() * 1000)
    # Each message an escalation of the burst sent (email; the in-app rows are written with it).
    delivery_ms = [
        (sent_at - escalated_at).total_seconds() * 1000
        for sent_at, escalated_at in Notification.objects.filter(
            event__kind=EventKind.ESCALATED, event__payload__from_level=1, status="sent", sent_at__isnull=False
        )
        .exclude(channel="in_app")
        .values_list("sent_at", "event__created_at")
    ]
    client = redis.Redis.from_url(redis_url)
    noop_ms = [float(x) * 1000 for x in client.lrange(f"{NOOP_LAGS}:busy", 0, -1)]
    idle_ms = [float(x) * 1000 for x in client.lrange(f"{NOOP_LAGS}:idle", 0, -1)]
    client.close()
    log = worker_log.read_text(errors="replace")
    outcomes = dict.fromkeys(("escalated", "stale", "not_due"), 0)
    for outcome in OUTCOME.findall(log):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    swept = sum(int(n) for n in SWEPT.findall(log))
    caught_up = sum(int(n) for n in CAUGHT_UP.findall(log))
    missed = sum(1 for pk in deadlines if pk not in per_report)
    twice = sum(1 for n in per_report.values() if n > 1)
    invariants = invariants_check(settled=True, now=timezone.now())

    print()
    print(
        f"{options.reports} open reports, {len(deadlines)} due over {options.spread:.0f} s "
        f"({len(deadlines) / options.spread:.0f}/s), "
        f"escalation worker -c {options.concurrency}, delivery worker -c {options.delivery_concurrency} + beat "
        f"(sweep every {options.sweep_interval} s), "
        f"PostgreSQL + Redis on this machine"
    )
    print(
        harness.table(
            ["lag past the deadline (ms)", "n", "median", "p90", "p99", "max"],
            [
                stats_row("report escalated (deadline -> commit)", lags_ms),
                stats_row("  its event's stamp (deadline -> created_at)", stamped_ms),
                stats_row("message sent (escalation -> sent_at)", delivery_ms),
                stats_row("no-op ETA task, same seconds (baseline)", noop_ms),
                stats_row("no-op ETA task, before the deadlines (baseline)", idle_ms),
            ],
        )
    )
    print(
        f"escalated by their own timer: {outcomes['escalated']}, in batches by late timers catching up: "
        f"{caught_up}, by the sweeper: {swept} (timers that found the work done: {outcomes['stale']}, "
        f"early: {outcomes['not_due']})"
    )
    print(
        f"missed: {missed}, escalated twice: {twice}; all escalated {(done_at - last_deadline).total_seconds():.1f} s "
        f"after the last deadline, every notification delivered {drained:.1f} s after it"
    )
    print(f"invariants over every report: {invariants.summary()}")
    for problem in invariants.problems[:20]:
        print("PROBLEM:", problem)
    p99 = harness.percentile(lags_ms, 99)
    delivery_p99 = harness.percentile(delivery_ms, 99)
    ok = not missed and not twice and invariants.ok
    print(
        f"target: p99 under {TARGET_P99_MS:.0f} ms with nothing missed or doubled: "
        f"{'met' if ok and p99 < TARGET_P99_MS else 'MISSED'}"
    )
    print(
        f"target: deliveries p99 under {TARGET_DELIVERY_P99_MS:.0f} ms after their escalation: "
        f"{'met' if delivery_ms and delivery_p99 < TARGET_DELIVERY_P99_MS else 'MISSED'}"
    )
    if options.keep:
        print(f"logs: {folder}")
    print(f"delivery_lag_p99 {delivery_p99:.3f} ms")
    harness.last_line("escalation_lag_p99", p99, "ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
