"""How fast the handlers' dashboard renders for a big production: 10,000 reports, 100,000 events.

    .venv/bin/python -m bench.dashboard [--reports 10000] [--events-per-report 10] [--runs 50] [--users 20] [--keep]
        [--profile 0]

It creates its own PostgreSQL database (st_bench_dashboard, dropped at the end unless --keep) and a
private redis-server on a free loopback port (the shared cache), migrates
it, bulk-inserts one production with a handler at every rank, 200 crew, --reports reports filed over
the last 16 weeks (2% open, 4% acknowledged, the rest resolved; named, confidential and anonymous) and
--events-per-report hash-chained events each (filed, notified, viewed, escalated, acknowledged,
commented, reopened, resolved), then times, server-side with Django's test client (the whole stack:
middleware, session, the view, templates), --runs requests of each after a warm-up:

- `SELECT 1`: one database round trip, the floor of anything that reads the database;
- home: the home page for the same user (the site's context processors and a few queries);
- dashboard: /dashboard/ (the queue, its counts, the four trend charts; the weekly trend series come
  from the shared cache, as for every handler after the first in two minutes);
- dashboard, cold cache: the same with the cache emptied before each request (the three trend
  queries run too);
- dashboard filtered: /dashboard/ with a category filter and a search word;
- queue fragment: /dashboard/queue/ (what an open tab polls every few seconds).

It prints the median and 95th percentile of each, this process's CPU time per request (the machine
is shared: on a busy one the wall time is mostly waiting for a core), the queries per request and the
time spent in them (counted by a wrapper: DEBUG is off, as in production). Then --users (20) paced
people at once against gunicorn (--workers x --threads), each drawing the dashboard or the bare GET
(/bench/bare/, bench.settings) before every request, so both share the same seconds: p50/p95/p99 of
each. Ends with `dashboard_<reports>_reports_median <ms> ms`. Targets: the median under 100 ms on the
server and the p95 under 100 ms with the 20 paced users; the exit status is 1 when one is missed.
`--profile N` then profiles N home pages, N dashboards and N queue fragments (cProfile on CPU time,
as bench.filing). `--workers`/`--threads` set gunicorn's (the Dockerfile's 3 x 4 by default).
"""

import argparse
import os
import random
import secrets
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench import harness

DATABASE = "st_bench_dashboard"
TARGET_MS = 100.0
CREW = 200
WEEKS = 16


# Django is set up (against the benchmark's database) before any model is imported: hence the imports
# inside these functions.


def seed(*, reports: int, events_per_report: int, rng: random.Random) -> tuple[int, int]:
    """The production, its people, its reports and their trails; returns (production id, producer id)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Department, Membership, Production, Role, User
    from incidents.categories import Category, Severity
    from incidents.models import Event, EventKind, Identity, Report, ReportStatus
    from incidents.services.policy import policy_create_default
    from incidents.services.trail import event_build

    now = timezone.now()
    with transaction.atomic():
        production = Production.objects.create(name="Big Show", timezone="America/Los_Angeles")
        Production.objects.filter(pk=production.pk).update(created_at=now - timedelta(weeks=WEEKS + 1))
        policy_create_default(production=production)
        handler_roles = [Role.DEPARTMENT_HEAD, Role.ARMORER, Role.SAFETY, Role.UPM, Role.PRODUCER, Role.EXECUTIVE]
        users = User.objects.bulk_create(
            [User(email=f"{role}@bench.example", full_name=f"Bench {role}") for role in handler_roles]
            + [User(email=f"crew{i}@bench.example", full_name=f"Crew Member {i}") for i in range(CREW)]
        )
        handlers, crew = dict(zip(handler_roles, users, strict=False)), users[len(handler_roles) :]
        Membership.objects.bulk_create(
            [
                Membership(user=u, production=production, role=r, department=Department.PRODUCTION)
                for r, u in handlers.items()
            ]
            + [Membership(user=u, production=production, role=Role.CREW, department=Department.GRIP) for u in crew]
        )
        acknowledgers = [handlers[Role.DEPARTMENT_HEAD], handlers[Role.ARMORER], handlers[Role.SAFETY]]

        rows = []
        for i in range(reports):
            created = now - timedelta(seconds=rng.uniform(0, WEEKS * 7 * 86400))
            roll = rng.random()
            status = (
                ReportStatus.OPEN
                if roll < 0.02
                else ReportStatus.ACKNOWLEDGED
                if roll < 0.06
                else ReportStatus.RESOLVED
            )
            identity = rng.choice([Identity.NAMED, Identity.NAMED, Identity.CONFIDENTIAL, Identity.ANONYMOUS])
            acknowledged_at = created + timedelta(minutes=rng.uniform(1, 90))
            rows.append(
                Report(
                    production=production,
                    category=rng.choice(Category.values),
                    severity=rng.choice(Severity.values),
                    title=f"Bench report {i}: {rng.choice(['cable', 'gun', 'stunt', 'rig', 'smoke', 'car'])}",
                    description="A concern filed by the dashboard benchmark. " * 4,
                    occurred_at=created - timedelta(minutes=10),
                    location=rng.choice(["Stage 1", "Stage 2", "Backlot", "Location: desert ranch"]),
                    department=rng.choice(Department.values),
                    reporter=None if identity == Identity.ANONYMOUS else rng.choice(crew),
                    identity=identity,
                    status=status,
                    escalation_level=rng.choice([1, 1, 1, 2, 2, 3, 4, 5]),
                    next_escalation_at=(
                        now + timedelta(minutes=rng.uniform(-10, 120))
                        if status == ReportStatus.OPEN
                        else now + timedelta(hours=rng.uniform(-2, 70))
                        if status == ReportStatus.ACKNOWLEDGED
                        else None
                    ),
                    acknowledged_by=rng.choice(acknowledgers) if status != ReportStatus.OPEN else None,
                    acknowledged_at=acknowledged_at if status != ReportStatus.OPEN else None,
                    first_answered_at=acknowledged_at if status != ReportStatus.OPEN else None,
                    resolved_by=handlers[Role.UPM] if status == ReportStatus.RESOLVED else None,
                    resolved_at=acknowledged_at + timedelta(hours=rng.uniform(1, 48))
                    if status == ReportStatus.RESOLVED
                    else None,
                    resolution="Fixed." if status == ReportStatus.RESOLVED else "",
                    created_at=created,
                )
            )
        # Stop-work calls are lifted once cleared; one stays active, as on a real set at most a few do.
        active_kept = False
        for report in rows:
            if report.category == Category.STOP_WORK:
                if not active_kept and report.status == ReportStatus.OPEN:
                    active_kept = True
                    continue
                report.lifted_at = report.created_at + timedelta(minutes=30)
                report.lifted_by = handlers[Role.PRODUCER]
                report.clearance_note = "Cleared by the bench."
        saved = Report.objects.bulk_create(rows, batch_size=2000)

        events = []
        for report in saved:
            kinds = [EventKind.FILED, EventKind.NOTIFIED, EventKind.NOTIFIED, EventKind.VIEWED]
            for _ in range(rng.choice([0, 0, 0, 1, 2])):
                kinds += [EventKind.ESCALATED, EventKind.NOTIFIED]
            if report.status != ReportStatus.OPEN:
                kinds += [EventKind.ACKNOWLEDGED, EventKind.NOTIFIED]
            ending = [EventKind.RESOLVED] if report.status == ReportStatus.RESOLVED else []
            while len(kinds) + len(ending) < events_per_report:
                kinds.append(EventKind.REOPENED if rng.random() < 0.02 else EventKind.COMMENTED)
            kinds = (kinds + ending)[:events_per_report]
            at = report.created_at
            for kind in kinds:
                at += timedelta(minutes=rng.uniform(0.5, 20))
                if kind == EventKind.ACKNOWLEDGED and report.acknowledged_at:
                    at = max(at, report.acknowledged_at)
                actor = report.acknowledged_by if kind in (EventKind.ACKNOWLEDGED, EventKind.VIEWED) else None
                events.append(event_build(report=report, kind=kind, actor=actor, payload={"bench": True}, at=at))
        Event.objects.bulk_create(events, batch_size=5000)
        Report.objects.bulk_update(saved, ["trail_seq", "trail_head", "trail_seal"], batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return production.pk, handlers[Role.PRODUCER].pk


def seed_scaled(
    *, reports: int, events_per_report: int, rng: random.Random, base: int = 5_000, history: bool = False
) -> tuple[int, int]:
    """`seed`, fast for big sizes: `base` reports seeded in Python (the mix, valid trails), then copied in
    SQL until there are `reports`, each copy with its events (the copies' trails are not re-hashed, which
    nothing here verifies). 100,000 reports take seconds, not minutes.

    Without `history` the copies are filed over the same 16 weeks (ten times as many reports a week, open
    and recent ones included). With `history` each round of copies is moved 17 weeks further back and
    resolved: the same recent weeks and open queue as `base`, with years of past reports behind them (a
    long-running production): what must not slow a page down."""
    from django.db import connection

    from incidents.models import Event, Report

    if reports <= base:
        return seed(reports=reports, events_per_report=events_per_report, rng=rng)
    production_id, producer_id = seed(reports=base, events_per_report=events_per_report, rng=rng)
    copies = -(-reports // base) - 1
    shift = "(g * interval '17 weeks')" if history else "(mod(g * 37, 16 * 7 * 24 * 60) * interval '1 minute')"
    moved = {"created_at", "occurred_at", "acknowledged_at", "first_answered_at", "resolved_at", "lifted_at"}
    overrides = {column: f"b.{column} - {shift}" for column in moved}
    if history:
        overrides |= {
            "status": "'resolved'",
            "next_escalation_at": "NULL",
            "resolved_at": f"coalesce(b.resolved_at, b.created_at + interval '2 hours') - {shift}",
            "first_answered_at": f"coalesce(b.first_answered_at, b.created_at + interval '1 hour') - {shift}",
        }
    report_columns = [f.column for f in Report._meta.concrete_fields if f.column != "id"]
    event_columns = [f.column for f in Event._meta.concrete_fields if f.column not in ("id", "report_id")]
    quoted = connection.ops.quote_name
    table, events = quoted(Report._meta.db_table), quoted(Event._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(id) FROM {table}")  # noqa: S608 - a model's table
        (top,) = cursor.fetchone()
        # Copy g of the report with rank rn gets id top + (g - 1) * base + rn; its events follow it.
        ranked = f"SELECT r.*, row_number() OVER (ORDER BY r.id) AS rn FROM {table} r WHERE r.id <= {int(top)}"  # noqa: S608
        columns = ", ".join(quoted(c) for c in report_columns)
        values = ", ".join(overrides.get(c, f"b.{quoted(c)}") for c in report_columns)
        limit = [copies, base, reports - base]
        cursor.execute(
            f"INSERT INTO {table} (id, {columns}) SELECT %s + (g - 1) * %s + b.rn, {values} "  # noqa: S608
            f"FROM ({ranked}) b CROSS JOIN generate_series(1, %s) g WHERE (g - 1) * %s + b.rn <= %s",
            [top, base, *limit],
        )
        # Hashes are unique: a copy's is the hash of the original's and the copy's number.
        event_values = {
            "hash": "encode(sha256((e.hash || g::text)::bytea), 'hex')",
            "created_at": f"e.created_at - {shift}",
        }
        event_list = ", ".join(quoted(c) for c in event_columns)
        event_copied = ", ".join(event_values.get(c, f"e.{quoted(c)}") for c in event_columns)
        cursor.execute(
            f"INSERT INTO {events} (report_id, {event_list}) "  # noqa: S608
            f"SELECT %s + (g - 1) * %s + b.rn, {event_copied} "
            f"FROM ({ranked}) b JOIN {events} e ON e.report_id = b.id "
            f"CROSS JOIN generate_series(1, %s) g WHERE (g - 1) * %s + b.rn <= %s",
            [top, base, *limit],
        )
        # One stop-work call stays active, as in `seed`: the copies' are lifted.
        cursor.execute(
            f"UPDATE {table} SET lifted_at = created_at + interval '30 minutes' "  # noqa: S608 - a model's table
            "WHERE id > %s AND category = 'stop_work' AND lifted_at IS NULL",
            [top],
        )
        cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {table}))", [table])  # noqa: S608
        cursor.execute("ANALYZE")
    return production_id, producer_id


def timed(runs: int, call) -> tuple[list[float], list[float], list[int], list[float]]:
    """Per call: wall milliseconds, this process's CPU milliseconds (what the time would be on an idle
    machine, less the database's share), queries, and milliseconds spent in them (counted by a wrapper
    around every query: DEBUG is off, as in production)."""
    from django.db import connection

    millis, cpu_millis, queries, db_millis = [], [], [], []
    spent = {"n": 0, "seconds": 0.0}

    def counting(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent["n"] += 1
            spent["seconds"] += time.perf_counter() - started

    with connection.execute_wrapper(counting):
        for _ in range(runs):
            spent.update(n=0, seconds=0.0)
            started, cpu_started = time.perf_counter(), time.process_time()
            call()
            millis.append((time.perf_counter() - started) * 1000)
            cpu_millis.append((time.process_time() - cpu_started) * 1000)
            queries.append(spent["n"])
            db_millis.append(spent["seconds"] * 1000)
    return millis, cpu_millis, queries, db_millis


def concurrent(options: argparse.Namespace, production_id: int, folder) -> dict:
    """--users paced people at once on gunicorn (--workers x --threads, DEBUG off): each draws the dashboard
    or the bare GET (bench.settings' /bench/bare/: the same middleware and one SELECT) before each request,
    a pause of 0..--pace-ms first, for --concurrent-seconds. Both sides in the same seconds."""
    from accounts.models import Membership, Role, User
    from bench.http import PacedUsers, page_get, sessions_for
    from support.processes import LiveStack

    handlers = list(
        User.objects.filter(
            pk__in=Membership.objects.filter(production_id=production_id).exclude(role=Role.CREW).values("user_id")
        )
    )
    port = harness.free_port()
    base_url = f"http://127.0.0.1:{port}"
    stack = LiveStack(folder=folder, env={"DJANGO_SETTINGS_MODULE": "bench.settings"})
    web = ["-m", "gunicorn", "safetrack.wsgi", "--bind", f"127.0.0.1:{port}"]
    web += ["--workers", str(options.workers), "--threads", str(options.threads)]
    stack.start("web", [*web, "--keep-alive", str(options.pace_ms // 1000 + 5), "--timeout", "30"])
    try:
        harness.wait_for_port(port, timeout=60)
        dashboard = f"/dashboard/?production={production_id}"
        sessions = sessions_for(handlers, base_url, None)
        people = [sessions[n % len(sessions)][0] for n in range(options.users)]
        pages = [page_get("dashboard GET", dashboard), page_get("bare GET", "/bench/bare/")]
        PacedUsers(base_url, pace_ms=0, seconds=2).run([(cookie, pages) for cookie in people])  # warm-up
        users = PacedUsers(base_url, pace_ms=options.pace_ms, seconds=options.concurrent_seconds)
        load = os.getloadavg()[0]
        users.run([(cookie, pages) for cookie in people])
    finally:
        stack.stop_all()
    return {"times": users.times, "errors": users.errors, "load": (load, os.getloadavg()[0])}


def run(options: argparse.Namespace) -> float:
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import User

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)  # DEBUG off: the pages name hashed files
    started = time.perf_counter()
    production_id, producer_id = seed_scaled(
        reports=options.reports,
        events_per_report=options.events_per_report,
        rng=random.Random(options.seed),
        base=options.recent or 5_000,
        history=bool(options.recent),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM incidents_report), (SELECT count(*) FROM incidents_event)")
        report_count, event_count = cursor.fetchone()
    print(f"seeded {report_count} reports and {event_count} events in {time.perf_counter() - started:.1f} s")

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(pk=producer_id))
    dashboard = f"/dashboard/?production={production_id}"

    def get(url: str):
        def call() -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")

        return call

    def cold(call):
        def emptied_first() -> None:
            cache.clear()
            call()

        return emptied_first

    def select_one() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    cases = [
        ("SELECT 1 (baseline)", select_one),
        ("home page (baseline)", get("/")),
        ("dashboard", get(dashboard)),
        ("dashboard, cold cache", cold(get(dashboard))),
        ("dashboard filtered", get(f"{dashboard}&category=misfire&q=gun")),
        ("queue fragment", get(f"/dashboard/queue/?production={production_id}")),
    ]
    rows, results = [], {}
    for name, call in cases:
        timed(options.warmup, call)
        millis, cpu_millis, queries, db_millis = timed(options.runs, call)
        results[name] = millis
        rows.append(
            [
                name,
                options.runs,
                statistics.median(millis),
                harness.percentile(millis, 95),
                statistics.median(cpu_millis),
                max(queries),
                statistics.median(db_millis),
            ]
        )
    print()
    print(f"load average before the timings: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    headers = ["request", "runs", "median ms", "p95 ms", "cpu ms (median)", "queries", "db ms (median)"]
    print(harness.table(headers, rows))
    cold_median = statistics.median(results["dashboard, cold cache"])
    print(f"\ncold cache: {cold_median:.1f} ms median (the first handler to open the dashboard in two minutes)")
    median = statistics.median(results["dashboard"])
    verdicts = {f"dashboard median under {TARGET_MS:.0f} ms on the server": median < TARGET_MS}
    if options.users:
        from bench.http import latency_rows

        together = concurrent(options, production_id, options.folder)
        print(
            f"\n{options.users} paced users at once (a pause of 0..{options.pace_ms} ms before each request, "
            f"{options.concurrent_seconds} s), gunicorn {options.workers} workers x {options.threads} threads, "
            "DEBUG off; load average "
            f"{together['load'][0]:.1f} -> {together['load'][1]:.1f}"
        )
        headers = ["request (paced, interleaved)", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"]
        rows = latency_rows(together["times"], together["errors"], ["dashboard GET", "bare GET"])
        print(harness.table(headers, rows))
        p95 = harness.percentile(together["times"]["dashboard GET"], 95)
        bare = harness.percentile(together["times"]["bare GET"], 95)
        print(f"dashboard p95 = {p95 / bare if bare else 0:.1f} x the bare GET's ({p95:.1f} vs {bare:.1f} ms)")
        verdicts[f"dashboard p95 under {TARGET_MS:.0f} ms with {options.users} paced users"] = p95 < TARGET_MS
        verdicts["no errors"] = not sum(together["errors"].values())
        print(f"dashboard_p95_{options.users}_users {p95:.3f} ms")
    if options.profile:
        fragment = f"/dashboard/queue/?production={production_id}"
        print(harness.cpu_profile("home page", get("/"), options.profile))
        print(harness.cpu_profile("dashboard", get(dashboard), options.profile))
        print(harness.cpu_profile("queue fragment", get(fragment), options.profile))
    print("\ntargets: " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in verdicts.items()))
    options.missed = [name for name, ok in verdicts.items() if not ok]
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--events-per-report", type=int, default=10)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--profile", type=int, default=0, help="then profile this many dashboards and fragments")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--users", type=int, default=20, help="paced users at once on gunicorn (0: skip)")
    parser.add_argument(
        "--recent",
        type=int,
        default=0,
        help="with --reports above it: this many reports in the last 16 weeks, the rest resolved history before them",
    )
    parser.add_argument("--pace-ms", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--concurrent-seconds", type=int, default=20)
    options = parser.parse_args()
    if not (0 <= options.users <= 200 and 1 <= options.concurrent_seconds <= 300):
        parser.error("--users must be in 0..200 and --concurrent-seconds in 1..300")
    # Production-like: DEBUG off (no query log, cached templates), so the settings want these.
    options.folder = Path(tempfile.mkdtemp(prefix="st-bench-dashboard-"))
    os.environ.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "STATIC_ROOT": str(options.folder / "static"),
            "MEDIA_ROOT": str(options.folder / "media"),
            "SAFETRACK_LOCAL_DIR": str(options.folder),
            "LOG_LEVEL": "WARNING",
            "AXES_FAILURE_LIMIT": "1000",
        }
    )

    database_url = harness.database_url_for(options.database)
    print(f"machine: {harness.machine()}")
    harness.database_recreate(database_url)
    # A private redis-server: the shared cache the trends live in, as in production.
    with harness.RedisServer() as redis_server:
        try:
            harness.django_setup(
                database_url=database_url, redis_url=redis_server.url, settings_module="bench.settings"
            )
            median = run(options)
        finally:
            from django.db import connections

            connections.close_all()
            if not options.keep:
                harness.database_drop(database_url)
                shutil.rmtree(options.folder, ignore_errors=True)
    harness.last_line(f"dashboard_{options.reports}_reports_median", median, "ms")
    return 1 if options.missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
