"""HTTP under load: filing a report and the dashboard, beside a bare Django view of the same process.

    .venv/bin/python -m bench.http [--seconds 15] [--users 20] [--workers 4] [--reports 10000]

It creates its own database (st_bench_http, dropped afterwards unless --keep) with one production of
--reports reports and their trails (bench/dashboard.py's seed), its own redis-server (broker and
cache), collects the static files, and starts gunicorn (--workers x --threads, DEBUG off, settings
bench.settings: the app's URLs plus `/bench/bare/`). Then wrk (Debian's `wrk`, on 127.0.0.1 only)
drives, for --seconds each:

- filing: POST /reports/new/ as --users logged-in crew members (session cookie and CSRF token),
  the form a phone sends: the report, its trail, its notifications and their queued deliveries;
- bare POST: POST /bench/bare/ with the same cookies and body: middleware, session, CSRF, one INSERT,
  a redirect: the framework's floor for a write;
- dashboard: GET /dashboard/ as --users producers' sessions (the production's 10,000 reports);
- bare GET: GET /bench/bare/: the floor for a logged-in read.

Each twice: "paced", --users connections each waiting 0 to --pace-ms (1 s) between requests (people
using it: the latency figures that matter; 20 users offer about 40 requests a second), and "flat
out", the same connections with no pause (the throughput, where latency is mostly queueing).
Targets: filing p95 under 50 ms paced, filing throughput at least half the bare POST's, zero errors.
Last line: `http_filing_p95_paced <ms> ms`.
"""

import argparse
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import requests

from bench import harness

DATABASE = "st_bench_http"
P95_TARGET_MS = 50.0
THROUGHPUT_RATIO_TARGET = 0.5
PACE_MS = 1000  # by default each paced connection waits uniformly 0..PACE_MS between requests
LUA = """
local sessions = {%(sessions)s}
local method, path, paced = "%(method)s", "%(path)s", %(paced)s
local n = 0
request = function()
  n = n + 1
  local s = sessions[(n %% #sessions) + 1]
  local headers = {["Cookie"] = s[1]}
  if method == "POST" then headers["Content-Type"] = "application/x-www-form-urlencoded" end
  return wrk.format(method, path, headers, s[2])
end
if paced then delay = function() return math.random(0, %(pace)d) end end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status, summary.bytes))
end
"""


@dataclass
class Run:
    name: str
    mode: str
    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    max: float
    socket_errors: int
    status_errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.socket_errors + self.status_errors


def wrk(
    base_url: str,
    *,
    name: str,
    mode: str,
    method: str,
    path: str,
    sessions: list[tuple[str, str]],
    users: int,
    seconds: int,
    folder: Path,
    pace_ms: int = PACE_MS,
) -> Run:
    harness.loopback_only(base_url)
    lua = LUA % {
        "sessions": ", ".join(f"{{{_lua(cookie)}, {_lua(body)}}}" for cookie, body in sessions),
        "method": method,
        "path": path,
        "paced": "true" if mode == "paced" else "false",
        "pace": pace_ms,
    }
    script = folder / f"{name.replace(' ', '_')}-{mode}.lua"
    script.write_text(lua)
    threads = min(2, users)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(users),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base_url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    match = re.search(r"^RESULT (.*)$", out, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    count, duration_us, p50, p95, p99, worst, socket_errors, status_errors, _ = (int(x) for x in match.group(1).split())
    return Run(
        name,
        mode,
        count,
        duration_us / 1e6,
        p50 / 1000,
        p95 / 1000,
        p99 / 1000,
        worst / 1000,
        socket_errors,
        status_errors,
    )


def _lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sessions_for(users: list, base_url: str, form_path: str | None) -> list[tuple[str, str]]:
    """(Cookie header, POST body) per user: a session, and the CSRF cookie and token a GET of the form set."""
    from django.test import Client

    from support.processes import report_form_data

    result = []
    for number, user in enumerate(users):
        client = Client()
        client.force_login(user)
        session = client.cookies["sessionid"].value
        body = ""
        cookie = f"sessionid={session}"
        if form_path:
            http = requests.Session()
            http.cookies.set("sessionid", session, domain="127.0.0.1", path="/")
            http.get(base_url + form_path, timeout=30).raise_for_status()
            csrf = http.cookies["csrftoken"]
            cookie += f"; csrftoken={csrf}"
            body = urlencode(
                report_form_data(title=f"Filed under load by user {number}", tz="America/Los_Angeles", csrf=csrf)
            )
        result.append((cookie, body))
    return result


def run(options: argparse.Namespace, database_url: str, redis: harness.RedisServer, folder: Path) -> int:
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Membership, Role, User
    from bench.dashboard import seed
    from bench.urls import BARE_TABLE
    from incidents.models import Report
    from support.invariants import invariants_check
    from support.processes import LiveStack

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    started = time.perf_counter()
    production_id, _producer = seed(
        reports=options.reports, events_per_report=options.events_per_report, rng=random.Random(1)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {BARE_TABLE} "
            "(id bigserial PRIMARY KEY, title text NOT NULL, created_at timestamptz NOT NULL)"
        )
    print(f"seeded {Report.objects.count()} reports in {time.perf_counter() - started:.1f} s")
    crew = list(
        User.objects.filter(memberships__production_id=production_id, memberships__role=Role.CREW).order_by("pk")[
            : options.users
        ]
    )
    handlers = list(
        User.objects.filter(
            pk__in=Membership.objects.filter(production_id=production_id).exclude(role=Role.CREW).values("user_id")
        )
    )

    port = harness.free_port()
    base_url = f"http://127.0.0.1:{port}"
    stack = LiveStack(folder=folder, env={"DJANGO_SETTINGS_MODULE": "bench.settings"})
    gunicorn = ["-m", "gunicorn", "safetrack.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(options.workers)]
    # Threads (gunicorn's gthread worker): a sync worker blocks on a connection opened before its request
    # is sent (wrk's paced users, browsers' pre-connections), holding up every other request behind it.
    gunicorn += ["--threads", str(options.threads)]
    # Keep a paced user's connection open through its pause (gunicorn closes idle ones after 2 s; wrk
    # would count the next request on a closed connection as an error, where a browser reconnects).
    gunicorn += ["--keep-alive", str(max(5, options.pace_ms // 1000 + 5))]
    stack.start("web", [*gunicorn, "--timeout", "30", "--backlog", "256"])
    try:
        harness.wait_for_port(port, timeout=60)
        form = f"/reports/new/?production={production_id}"
        filing_sessions = sessions_for(crew, base_url, form)
        bare_sessions = [(cookie, body) for cookie, body in filing_sessions]
        dashboard_sessions = [(cookie, "") for cookie, _ in sessions_for(handlers, base_url, None)]
        before = Report.objects.count()
        plan = [
            ("filing", "POST", form, filing_sessions),
            ("bare POST", "POST", "/bench/bare/", bare_sessions),
            ("dashboard", "GET", f"/dashboard/?production={production_id}", dashboard_sessions),
            ("bare GET", "GET", "/bench/bare/", dashboard_sessions),
        ]
        runs = []
        for name, method, path, sessions in plan:
            # one short warm-up so every gunicorn worker has its connections and templates
            warm = wrk(
                base_url,
                name=name,
                mode="warm",
                method=method,
                path=path,
                sessions=sessions,
                users=options.users,
                seconds=2,
                folder=folder,
            )
            runs.append(warm)  # not shown, but its filings count when the saved reports are checked
            for mode in ("paced", "flat out"):
                runs.append(
                    wrk(
                        base_url,
                        name=name,
                        mode=mode,
                        method=method,
                        path=path,
                        sessions=sessions,
                        users=options.users,
                        seconds=options.seconds,
                        folder=folder,
                        pace_ms=options.pace_ms,
                    )
                )
                print(f"  {name:10} {mode:8} {runs[-1].rate:7.1f}/s p95 {runs[-1].p95:7.1f} ms", flush=True)
    finally:
        stack.stop_all()
    filed = Report.objects.count() - before
    new_reports = list(Report.objects.order_by("-pk").values_list("pk", flat=True)[:filed])
    return summarize(options, runs, filed, invariants_check(report_ids=new_reports, settled=False))


def summarize(options: argparse.Namespace, runs: list[Run], filed: int, invariants) -> int:
    by = {(r.name, r.mode): r for r in runs}
    print()
    print(f"machine: {harness.machine()}")
    print(
        f"gunicorn {options.workers} workers x {options.threads} threads, DEBUG off; wrk on loopback, "
        f"{options.users} connections, {options.seconds} s per run"
    )
    print(
        harness.table(
            ["endpoint", "mode", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"],
            [
                [r.name, r.mode, r.requests, r.rate, r.p50, r.p95, r.p99, r.max, r.errors]
                for r in runs
                if r.mode != "warm"
            ],
        )
    )
    filing_paced, filing_flat, bare_flat = (
        by[("filing", "paced")],
        by[("filing", "flat out")],
        by[("bare POST", "flat out")],
    )
    ratio = filing_flat.rate / bare_flat.rate if bare_flat.rate else 0.0
    warm_filings = sum(r.requests - r.status_errors for r in runs if r.name == "filing")
    errors = sum(r.errors for r in runs)
    print(
        f"filing throughput = {ratio:.2f} x the bare POST's ({filing_flat.rate:.1f} vs {bare_flat.rate:.1f} req/s); "
        f"target >= {THROUGHPUT_RATIO_TARGET}"
    )
    print(
        f"filing p95 with {options.users} paced users: {filing_paced.p95:.1f} ms "
        f"(bare POST {by[('bare POST', 'paced')].p95:.1f} ms); target < {P95_TARGET_MS:.0f} ms"
    )
    # wrk stops counting at the end of a run; requests still in flight then are answered (and saved) uncounted.
    in_flight = options.users * sum(1 for r in runs if r.name == "filing")
    print(f"errors: {errors}; reports filed {filed} (wrk counted {warm_filings} answered filings, warm-ups included)")
    print(f"filed reports: {invariants.summary()}")
    verdicts = {
        "filing p95 paced": filing_paced.p95 < P95_TARGET_MS,
        "throughput ratio": ratio >= THROUGHPUT_RATIO_TARGET,
        "zero errors": errors == 0,
        "every filing saved, trails intact": invariants.ok and warm_filings <= filed <= warm_filings + in_flight,
    }
    print("targets: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in verdicts.items()))
    harness.last_line("http_filing_p95_paced", filing_paced.p95, "ms")
    return 0 if all(verdicts.values()) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="per run (each endpoint runs paced, then flat out)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument(
        "--pace-ms", type=int, default=PACE_MS, help="paced users wait 0..this many ms between requests"
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (the Dockerfile's 3)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--events-per-report", type=int, default=10)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args()
    if not (1 <= options.seconds <= 300 and 1 <= options.users <= 200 and 0 <= options.pace_ms <= 60_000):
        parser.error("--seconds must be in 1..300, --users in 1..200 and --pace-ms in 0..60000")
    if not shutil.which("wrk"):
        parser.error("needs wrk: apt-get install -y wrk")
    folder = Path(tempfile.mkdtemp(prefix="st-bench-http-"))
    # The web process and this one share these (sessions made here must be valid there).
    os.environ.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "STATIC_ROOT": str(folder / "static"),
            "MEDIA_ROOT": str(folder / "media"),
            "SAFETRACK_LOCAL_DIR": str(folder),
            "LOG_LEVEL": "WARNING",
            "AXES_FAILURE_LIMIT": "1000",
        }
    )
    database_url = harness.database_url_for(options.database)
    with harness.RedisServer(folder=folder / "redis") as redis:
        harness.database_recreate(database_url)
        try:
            harness.django_setup(database_url=database_url, redis_url=redis.url, settings_module="bench.settings")
            return run(options, database_url, redis, folder)
        finally:
            from django.db import connections

            connections.close_all()
            if not options.keep:
                harness.database_drop(database_url)
                shutil.rmtree(folder, ignore_errors=True)  # static files, wrk scripts, logs


if __name__ == "__main__":
    sys.exit(main())
