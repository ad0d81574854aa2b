"""Where a filing's time goes, in-process: the phone's three requests beside the bare view, paired.

    .venv/bin/python -m bench.filing [--reports 10000] [--runs 200] [--profile 0] [--queries 0] [--plans]

It creates its own database (st_bench_filing, dropped unless --keep) with one production of --reports
reports and their trails (bench/dashboard.py's seed), a private redis-server (broker and cache), and
runs, with Django's test client through the whole middleware stack (DEBUG off, settings bench.settings),
each of these in turn, --runs times, interleaved so the machine's load hits all of them alike:

- form GET: GET /reports/new/ as a crew member (the form a phone opens);
- filing POST: POST /reports/new/ with the next body of the realistic mix (bench/mix.py);
- confirmation GET: GET /reports/<id>/filed/ of the report just filed;
- bare POST / bare GET: /bench/bare/ (one INSERT or a SELECT behind the same middleware).

It prints each one's median and p95 wall time, this process's CPU time (the server's own cost: what
a loaded machine's wall time shrinks to), and its queries, then the filing POST and the whole phone
flow as multiples of the bare POST in CPU (target: the POST at most 2x). `--profile N` then profiles
N more of each of the phone's three requests (cProfile on CPU time: the costliest functions by own time,
and the app's and the template engine's by cumulative time); `--queries N` times the statements of N more
filing POSTs (each kind's count, mean and total per POST); `--plans` prints PostgreSQL's planning and
execution time of each request's SELECTs (EXPLAIN ANALYZE) and the longest to plan. Last line:
`filing_post_cpu_ratio <x> x`.
"""

import argparse
import os
import random
import re
import secrets
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench import harness, mix

DATABASE = "st_bench_filing"
CPU_RATIO_TARGET = 2.0
PLAN_LINES = ("Planning Time", "Execution Time")
SETTINGS = "bench.settings"


def run(options: argparse.Namespace) -> float:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Role, User
    from bench.dashboard import seed
    from bench.urls import BARE_TABLE
    from incidents.models import Report

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    started = time.perf_counter()
    production_id, _producer = seed(reports=options.reports, events_per_report=10, rng=random.Random(1))
    with connection.cursor() as cursor:
        columns = "id bigserial PRIMARY KEY, title text NOT NULL, created_at timestamptz NOT NULL"
        cursor.execute(f"CREATE TABLE {BARE_TABLE} ({columns})")
    print(f"seeded {Report.objects.count()} reports in {time.perf_counter() - started:.1f} s")
    crew = list(User.objects.filter(memberships__role=Role.CREW).order_by("pk")[:20])
    clients = []
    for user in crew:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        clients.append(client)
    form_url = f"/reports/new/?production={production_id}"
    bodies = mix.bodies(options.runs * 2 + options.profile + 50, seed=3, tz="America/Los_Angeles")
    print(mix.describe(bodies))
    state = {"n": 0, "last": None, "kind": ""}

    def client_for() -> Client:
        return clients[state["n"] % len(clients)]

    def form_get() -> None:
        _ok(client_for().get(form_url), 200)

    def filing_post() -> None:
        body = bodies[state["n"] % len(bodies)]
        state["n"] += 1
        state["kind"] = _kind(body)
        response = client_for().post(form_url, body)
        _ok(response, 302, 303)
        state["last"] = response["Location"]

    def confirmation_get() -> None:
        _ok(client_for().get(state["last"]), 200)

    def bare_post() -> None:
        _ok(client_for().post("/bench/bare/", {"title": "bare"}), 302, 303)

    def bare_get() -> None:
        _ok(client_for().get("/bench/bare/"), 200)

    cases = [
        ("form GET", form_get),
        ("filing POST", filing_post),
        ("confirmation GET", confirmation_get),
        ("bare POST", bare_post),
        ("bare GET", bare_get),
    ]
    wall: dict[str, list[float]] = {name: [] for name, _ in cases}
    cpu: dict[str, list[float]] = {name: [] for name, _ in cases}
    queries: dict[str, int] = {}
    # Warm-up: templates, connections, the first cache fills; and each client's first request, which loads
    # the middleware for that client (the test client's own cost, ~25 ms: WhiteNoise indexes every static
    # file; a server process does it once when it starts), so it is not timed as a filing.
    for client in clients:
        _ok(client.get("/bench/bare/"), 200)
    for _ in range(5):
        for _name, call in cases:
            call()
    for name, call in cases:  # queries, once (recording them costs time, so not while timing)
        with CaptureQueriesContext(connection) as captured:
            call()
        queries[name] = len(captured.captured_queries)
    # The database server's side: this connection's backend process, read from /proc in clock ticks (too
    # coarse for one request, so summed per kind of request over all runs).
    backend = _backend_cpu_reader(connection)
    database_ms: dict[str, float] = dict.fromkeys(wall, 0.0)
    post_cpu_by_kind: dict[str, list[float]] = {}
    load_before = os.getloadavg()
    for _ in range(options.runs):
        for name, call in cases:
            database_started = backend()
            wall_started, cpu_started = time.perf_counter(), time.process_time()
            call()
            cpu[name].append((time.process_time() - cpu_started) * 1000)
            wall[name].append((time.perf_counter() - wall_started) * 1000)
            database_ms[name] += backend() - database_started
            if name == "filing POST":
                post_cpu_by_kind.setdefault(state["kind"], []).append(cpu[name][-1])
    load_after = os.getloadavg()

    print()
    print(f"machine: {harness.machine()}")
    print(f"load average before/after the timings: {load_before[0]:.2f} / {load_after[0]:.2f}")
    rows = [
        [
            name,
            options.runs,
            statistics.median(wall[name]),
            harness.percentile(wall[name], 95),
            statistics.median(cpu[name]),
            harness.percentile(cpu[name], 95),
            database_ms[name] / options.runs,
            queries[name],
        ]
        for name, _ in cases
    ]
    headers = ["request", "runs", "median ms", "p95 ms", "cpu ms", "cpu p95 ms", "db cpu ms", "queries"]
    print(harness.table(headers, rows))
    print("(db cpu ms: the PostgreSQL backend's CPU per request, the mean over the runs)")
    bare = statistics.median(cpu["bare POST"])
    post = statistics.median(cpu["filing POST"])
    flow = sum(statistics.median(cpu[name]) for name in ("form GET", "filing POST", "confirmation GET"))
    ratio = post / bare if bare else 0.0
    print(
        f"filing POST = {ratio:.2f} x the bare POST in CPU ({post:.2f} vs {bare:.2f} ms); "
        f"target <= {CPU_RATIO_TARGET:.0f} x: {'met' if ratio <= CPU_RATIO_TARGET else 'MISSED'}"
    )
    print("filing POST CPU by kind of report:")
    print(
        harness.table(
            ["kind", "runs", "cpu ms", "cpu p95 ms"],
            [
                [kind, len(times), statistics.median(times), harness.percentile(times, 95)]
                for kind, times in sorted(post_cpu_by_kind.items())
            ],
        )
    )
    print(
        f"whole phone flow (form GET + POST + confirmation GET) = {flow:.2f} ms CPU = {flow / bare:.2f} x the bare POST"
    )
    if options.queries:
        print(f"\nthe filing POST's statements over {options.queries} POSTs (wall ms, round trip included):")
        print(harness.table(*statement_rows(filing_post, options.queries, connection, CaptureQueriesContext)))
    if options.plans:
        print("\nPostgreSQL's planning and execution of each request's SELECTs (EXPLAIN ANALYZE, median of 5):")
        for name, call in cases[:3]:
            with CaptureQueriesContext(connection) as captured:
                call()
            print(plan_summary(name, [q["sql"] for q in captured.captured_queries], connection))
    if options.profile:
        for name, call in cases[:3]:  # the phone's three requests
            steps = call if name != "confirmation GET" else lambda call=call: (filing_post(), call())
            print(harness.cpu_profile(name, steps, options.profile))
    return ratio


def _kind(body: dict) -> str:
    """A filing's kind for the breakdown: firearm or not, critical or not (as filed: a repeat raises it)."""
    from incidents.categories import FIREARM_CATEGORIES, Severity, default_severity

    category = body.get("category", "")
    critical = Severity.CRITICAL in (body.get("severity"), default_severity(category))
    return f"{'firearm' if category in FIREARM_CATEGORIES else 'other'}{', critical' if critical else ''}"


def _backend_cpu_reader(connection):
    """A function giving the CPU milliseconds this connection's PostgreSQL backend has used so far (0.0
    where /proc cannot tell: another machine's server)."""
    connection.ensure_connection()
    stat = Path(f"/proc/{connection.connection.info.backend_pid}/stat")

    def used() -> float:
        try:
            return harness.process_cpu_seconds(stat.read_text()) * 1000
        except OSError:
            return 0.0

    return used


def _ok(response, *statuses: int) -> None:
    if response.status_code not in statuses:
        body = response.content.decode(errors="replace")[:2000]
        raise SystemExit(f"{response.request['PATH_INFO']} answered {response.status_code}, not {statuses}:\n{body}")


def plan_summary(name: str, statements: list[str], connection, top: int = 3) -> str:
    """The request's SELECTs as PostgreSQL plans and runs them: the sums, and the `top` longest to plan
    (a query that joins many tables can take longer to plan than to run)."""
    plans = []
    with connection.cursor() as cursor:
        for sql in (s for s in statements if s.startswith("SELECT")):
            runs = []
            for _ in range(5):
                cursor.execute("EXPLAIN (ANALYZE, SUMMARY) " + sql)
                lines = [row[0] for row in cursor.fetchall()]
                runs.append([float(next(x for x in lines if x.startswith(k)).split()[2]) for k in PLAN_LINES])
            plans.append((statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), sql))
    lines = [
        f"{name}: {len(plans)} SELECTs, planning {sum(p[0] for p in plans):.2f} ms, "
        f"executing {sum(p[1] for p in plans):.2f} ms"
    ]
    for planning, executing, sql in sorted(plans, key=lambda p: -p[0])[:top]:
        where = sql[sql.find(" WHERE ") :][:90] if " WHERE " in sql else ""
        lines.append(
            f"  plan {planning:.3f} ms, run {executing:.3f} ms: {_main_table(sql)}, {sql.count(' JOIN ')} joins{where}"
        )
    return "\n".join(lines)


def _main_table(sql: str) -> str:
    """The table after the statement's own FROM (not one of a subquery in its select list)."""
    for found in re.finditer(r' FROM "(\w+)"', sql):
        before = sql[: found.start()]
        if before.count("(") == before.count(")"):
            return found[1]
    return "?"


def statement_rows(call, runs: int, connection, capture) -> tuple[list[str], list[list[object]]]:
    """Each kind of statement of `call` (its SQL up to the first WHERE/VALUES/SET, values blanked), with how
    often it ran per call and its mean and total time, costliest first: where the database time goes."""
    times: dict[str, list[float]] = {}
    for _ in range(runs):
        with capture(connection) as captured:
            call()
        for query in captured.captured_queries:
            sql = re.split(r" WHERE | VALUES | SET ", query["sql"], maxsplit=1)[0]
            kind = re.sub(r"'[^']*'|\d+", "?", sql)[:110]
            times.setdefault(kind, []).append(float(query["time"]) * 1000)
    rows = [[kind, len(ms) / runs, statistics.mean(ms), sum(ms) / runs] for kind, ms in times.items()]
    rows.sort(key=lambda row: -row[3])
    return ["statement", "per POST", "mean ms", "ms per POST"], rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--profile", type=int, default=0, help="then profile this many filing POSTs")
    parser.add_argument("--queries", type=int, default=0, help="then time the statements of this many filing POSTs")
    parser.add_argument("--plans", action="store_true", help="then EXPLAIN the SELECTs of the phone's requests")
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    if not (1 <= options.runs <= 5000 and 0 <= options.profile <= 5000):
        parser.error("--runs must be in 1..5000 and --profile in 0..5000")
    os.environ.update({"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1"})
    os.environ.update({"SECURE_SSL_REDIRECT": "false", "LOG_LEVEL": "WARNING", "AXES_FAILURE_LIMIT": "1000"})
    # The filing limit is still checked (its cost counted), never reached: 20 people file faster than anyone.
    os.environ["MEMBER_FILING_RATE"] = "100000/m"
    folder = Path(tempfile.mkdtemp(prefix="st-bench-filing-"))
    os.environ.update({"STATIC_ROOT": str(folder / "static"), "MEDIA_ROOT": str(folder / "media")})
    os.environ["SAFETRACK_LOCAL_DIR"] = str(folder)
    database_url = harness.database_url_for(options.database)
    harness.database_recreate(database_url)
    with harness.RedisServer(folder=folder / "redis") as redis_server:
        try:
            harness.django_setup(database_url=database_url, redis_url=redis_server.url, settings_module=SETTINGS)
            ratio = run(options)
        finally:
            from django.db import connections

            connections.close_all()
            if not options.keep:
                harness.database_drop(database_url)
                shutil.rmtree(folder, ignore_errors=True)
    harness.last_line("filing_post_cpu_ratio", ratio, "x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
