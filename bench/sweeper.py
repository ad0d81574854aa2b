"""How fast the sweeper escalates a pile of due reports: 100,000 open reports, 10,000 due at once.

    .venv/bin/python -m bench.sweeper [--reports 100000] [--due 10000] [--processes 1 2] [--batch 200]

It creates its own database (st_bench_sweeper, dropped at the end unless --keep) and its own
redis-server on a free loopback port (the broker the escalations queue their timers and deliveries
on), bulk-inserts the reports with valid trails (each one's `filed` event, hash-chained, and the
report's trail head), then for each process count:

- bare: the same number of due rows moved one level up by bare `UPDATE`s in batches of --batch
  (`... FOR UPDATE SKIP LOCKED`, one transaction each), nothing else: PostgreSQL's floor;
- sweeper: `reports_escalate_due` batches (what `sweep()` loops on) until nothing is due, then one
  `sweep()`, in N processes sharing the rows: the new level, the `escalated` event with its hash,
  the notification rows and the queued timers and deliveries.

Before each phase a fresh set of --due reports becomes due. It prints the table, the queries per
batch (the same for every full batch, whatever its size: that is the point), checks the invariants
over every report (each due report escalated exactly once, every trail intact) and ends with
`sweeper_escalate_<due>_2proc <seconds> s`. Target: under 30 s on 2 cores.
"""

import argparse
import multiprocessing
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import timedelta

from bench import harness

DATABASE = "st_bench_sweeper"
TARGET_SECONDS = 30.0
PHASE_LIMIT_SECONDS = 300.0  # every loop here stops by itself
BARE_UPDATE = """
WITH due AS (
    SELECT id FROM incidents_report
    WHERE next_escalation_at <= now() AND status IN ('open', 'acknowledged')
    ORDER BY next_escalation_at LIMIT %s FOR UPDATE SKIP LOCKED
)
UPDATE incidents_report r
SET escalation_level = r.escalation_level + 1, status = 'open', acknowledged_by_id = NULL,
    acknowledged_at = NULL, next_escalation_at = now() + interval '15 minutes'
FROM due WHERE r.id = due.id
"""


@dataclass
class Batch:
    escalated: int
    queries: int
    seconds: float


@dataclass
class ProcessRun:
    started: float
    finished: float
    batches: list[Batch]
    cpu: float = 0.0  # this process's CPU seconds (not PostgreSQL's, not Redis's)


# Django is set up (against the benchmark's database) before any model is imported, in the parent and
# in each spawned sweeper process alike; hence the imports inside these functions.


def seed_cast(productions: int) -> tuple[list, dict]:
    """`productions` productions with the default policy and one person at every role; returns them and
    each production's crew member (the reporter). Call inside a transaction, after Django is set up."""
    from accounts.models import Department, Membership, Production, Role, User
    from incidents.services.policy import policy_create_default

    roles = [Role.CREW, Role.DEPARTMENT_HEAD, Role.ARMORER, Role.SAFETY, Role.UPM, Role.PRODUCER, Role.EXECUTIVE]
    prods = Production.objects.bulk_create(Production(name=f"Bench {i}", timezone="UTC") for i in range(productions))
    for production in prods:
        policy_create_default(production=production)
    users = User.objects.bulk_create(
        User(email=f"p{p.pk}-{role}@bench.example", full_name=f"{role} {p.pk}", password="!")
        for p in prods
        for role in roles
    )
    Membership.objects.bulk_create(
        Membership(user=users[i * len(roles) + j], production=p, role=role, department=Department.GRIP)
        for i, p in enumerate(prods)
        for j, role in enumerate(roles)
    )
    return prods, {p.pk: users[i * len(roles)] for i, p in enumerate(prods)}


def reserve_report_ids(count: int) -> list[int]:
    """Take `count` ids from the reports' sequence, so rows and their events can be COPYed in together."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('incidents_report', 'id')) FROM generate_series(1, %s)", [count]
        )
        return [row[0] for row in cursor.fetchall()]


def seed(*, reports: int, productions: int, rng: random.Random) -> list[int]:
    """Productions with a handler at every level, and `reports` open reports none of which is due."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Department
    from incidents.categories import Category, Severity
    from incidents.models import Event, EventKind, Report
    from incidents.services.trail import event_build

    now = timezone.now()
    with transaction.atomic():
        prods, reporters = seed_cast(productions)
    ids = reserve_report_ids(reports)
    severities = list(Severity.values)
    departments = [Department.GRIP, Department.CAMERA, Department.PROPS, ""]
    rows, events = [], []
    for n, pk in enumerate(ids):
        production = prods[n % productions]
        created = now - timedelta(minutes=rng.uniform(1, 600))
        report = Report(
            pk=pk,
            production=production,
            category=Category.OTHER,
            severity=rng.choice(severities),
            title=f"Bench report {n}",
            description="Seeded by bench/sweeper.py.",
            occurred_at=created - timedelta(minutes=5),
            department=rng.choice(departments),
            reporter=reporters[production.pk],
            escalation_level=1,
            # none due yet: each phase makes its own slice due
            next_escalation_at=now + timedelta(hours=rng.uniform(2, 24)),
            created_at=created,
        )
        event = event_build(
            report=report,
            kind=EventKind.FILED,
            actor=reporters[production.pk],
            at=created,
            public=True,
            payload={
                "category": report.category,
                "severity": report.severity,
                "identity": "named",
                "level": 1,
                "attachments": 0,
            },
        )
        rows.append(report)
        events.append(event)
    with transaction.atomic():
        copy_in(Report, rows, exclude=())
        copy_in(Event, events, exclude=("id",))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ids


def copy_in(model: type, objects: list, *, exclude: tuple[str, ...]) -> None:
    """COPY model instances into their table (every concrete column, prepared as Django would)."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if f.column not in exclude]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for obj in objects:
            copy.write_row([f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields])


def make_due(ids: list[int], rng: random.Random) -> None:
    """Time passes for these reports: their deadlines are now spread over the last minute."""
    from django.db import connection

    offsets = [rng.uniform(0.01, 60) for _ in ids]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_report r SET next_escalation_at = now() - make_interval(secs => d.ago) "
            "FROM unnest(%s::bigint[], %s::float8[]) AS d(id, ago) WHERE r.id = d.id",
            [ids, offsets],
        )


def undo_bare(ids: list[int]) -> None:
    """Put the baseline's reports back where their trails say they are (level 1, not due)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_report SET escalation_level = 1, next_escalation_at = now() + interval '1 day' "
            "WHERE id = ANY(%s)",
            [ids],
        )


def bare_process(
    database_url: str, batch: int, start: "multiprocessing.synchronize.Barrier", results: "multiprocessing.Queue"
) -> None:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT 1")
        start.wait(120)  # every process ready (Django imported, connected), then all at once
        started, cpu = time.time(), time.process_time()
        batches = []
        deadline = time.monotonic() + PHASE_LIMIT_SECONDS
        while time.monotonic() < deadline:
            t = time.perf_counter()
            count = conn.execute(BARE_UPDATE, [batch]).rowcount
            batches.append(Batch(count, 1, time.perf_counter() - t))
            if count == 0:
                break
        results.put(ProcessRun(started, time.time(), batches, time.process_time() - cpu))


def sweeper_process(
    database_url: str,
    redis_url: str,
    batch: int,
    start: "multiprocessing.synchronize.Barrier",
    results: "multiprocessing.Queue",
) -> None:
    harness.django_setup(database_url=database_url, redis_url=redis_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.services.escalation import reports_escalate_due
    from incidents.services.sweeper import sweep

    connection.ensure_connection()
    start.wait(120)  # every process ready (Django imported, connected), then all at once
    started, cpu = time.time(), time.process_time()
    batches = []
    deadline = time.monotonic() + PHASE_LIMIT_SECONDS
    while time.monotonic() < deadline:
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            count = reports_escalate_due(limit=batch)
            seconds = time.perf_counter() - t
        batches.append(Batch(count, len(queries.captured_queries), seconds))
        if count == 0:
            break
    sweep(batch_size=batch)  # what a beat tick adds: lost deliveries, timers, the heartbeat
    results.put(ProcessRun(started, time.time(), batches, time.process_time() - cpu))


def run_phase(target, processes: int, args: tuple) -> list[ProcessRun]:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes + 1)
    results = context.Queue()
    workers = [context.Process(target=target, args=(*args, start, results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    start.wait(120)
    runs = [results.get(timeout=PHASE_LIMIT_SECONDS + 60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    return runs


def escalated_count(ids: list[int]) -> tuple[int, int]:
    """(reports with an `escalated` event, `escalated` events) among `ids`."""
    from django.db.models import Count

    from incidents.models import Event, EventKind

    per_report = (
        Event.objects.filter(report_id__in=ids, kind=EventKind.ESCALATED).values("report_id").annotate(n=Count("pk"))
    )
    return len(per_report), sum(row["n"] for row in per_report)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--productions", type=int, default=100)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    phases = [(kind, n) for n in options.processes for kind in ("bare", "sweeper")]
    if options.due * len(phases) > options.reports:
        parser.error(f"--reports must hold {len(phases)} slices of --due")

    rng = random.Random(options.seed)
    database_url = harness.database_url_for(options.database)
    print(f"machine: {harness.machine()}")
    with harness.RedisServer() as redis_server:
        harness.database_recreate(database_url)
        try:
            harness.django_setup(database_url=database_url, redis_url=redis_server.url)
            return run(options, phases, database_url, redis_server.url, rng)
        finally:
            from django.db import connections

            connections.close_all()
            if not options.keep:
                harness.database_drop(database_url)


def run(
    options: argparse.Namespace, phases: list[tuple[str, int]], database_url: str, redis_url: str, rng: random.Random
) -> int:
    from django.core.management import call_command

    from support.invariants import invariants_check

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    ids = seed(reports=options.reports, productions=options.productions, rng=rng)
    print(f"seeded {len(ids)} open reports with their filed events in {time.perf_counter() - t:.1f} s")
    slices = rng.sample(ids, options.due * len(phases))
    rows, seconds_by_phase, problems = [], {}, []
    for number, (kind, processes) in enumerate(phases):
        chunk = slices[number * options.due : (number + 1) * options.due]
        make_due(chunk, rng)
        if kind == "bare":
            runs = run_phase(bare_process, processes, (database_url, options.batch))
        else:
            runs = run_phase(sweeper_process, processes, (database_url, redis_url, options.batch))
        wall = max(r.finished for r in runs) - min(r.started for r in runs)
        batches = [b for r in runs for b in r.batches if b.escalated]
        moved = sum(b.escalated for b in batches)
        full = sorted({b.queries for b in batches if b.escalated == options.batch})
        partial = sorted({b.queries for b in batches if 0 < b.escalated < options.batch})
        if kind == "bare":
            undo_bare(chunk)
        else:
            reports, events = escalated_count(chunk)
            if (reports, events, moved) != (options.due, options.due, options.due):
                problems.append(
                    f"{processes} process(es): {reports} reports escalated by {events} events, {moved} counted"
                )
        seconds_by_phase[(kind, processes)] = wall
        rows.append(
            [
                kind,
                processes,
                moved,
                len(batches),
                "/".join(map(str, full)) or "-",
                "/".join(map(str, partial)) or "-",
                harness.median([b.seconds * 1000 for b in batches]),
                harness.percentile([b.seconds * 1000 for b in batches], 99),
                wall,
                sum(r.cpu for r in runs),
                moved / wall if wall else 0.0,
                f"{os.getloadavg()[0]:.1f}",
            ]
        )
    print()
    print(
        harness.table(
            [
                "phase",
                "procs",
                "escalated",
                "batches",
                "queries/full batch",
                "queries/partial",
                "batch p50 ms",
                "batch p99 ms",
                "wall s",
                "client CPU s",
                "per s",
                "load",
            ],
            rows,
        )
    )
    for processes in options.processes:
        bare, swept = seconds_by_phase[("bare", processes)], seconds_by_phase[("sweeper", processes)]
        print(f"{processes} process(es): sweeper {swept:.2f} s = {swept / bare:.1f}x the bare UPDATEs ({bare:.2f} s)")
    t = time.perf_counter()
    invariants = invariants_check(settled=False)
    print(f"invariants over every report ({time.perf_counter() - t:.1f} s): {invariants.summary()}")
    problems.extend(invariants.problems[:20])
    for problem in problems:
        print("PROBLEM:", problem)
    final = seconds_by_phase[("sweeper", max(options.processes))]
    verdict = "met" if final < TARGET_SECONDS and not problems else "MISSED"
    print(
        f"target: {options.due} due reports escalated in under {TARGET_SECONDS:.0f} s "
        f"with {max(options.processes)} processes: {verdict}"
    )
    harness.last_line(f"sweeper_escalate_{options.due}_{max(options.processes)}proc", final, "s")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
