"""What the benchmark scripts share: a throw-away PostgreSQL database, a private Redis server,
Django set up against them, and the printed table with its last `name value unit` line.

Everything runs on this machine and talks to 127.0.0.1 only; every loop has a count and a deadline.
"""

import contextlib
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import django
import psycopg

# Re-exported for the scripts: the private Redis and port helpers the fault suite uses too.
from support.processes import RedisServer as RedisServer
from support.processes import free_port as free_port
from support.processes import wait_for_port as wait_for_port

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def loopback_only(url: str) -> str:
    """Refuse any target but this machine: the benchmarks put load on what they point at."""
    host = urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("127."):
        raise SystemExit(f"refusing a non-loopback target: {url}")
    return url


def database_url_for(name: str, base: str | None = None) -> str:
    base = base or os.environ.get("BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
    parts = urlsplit(loopback_only(base))
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_recreate(url: str) -> None:
    """Drop and create the database `url` names (a benchmark's own: never the app's)."""
    name = urlsplit(url).path.lstrip("/")
    if not name.startswith(("st_bench", "bench")):
        raise SystemExit(f"refusing to recreate {name!r}: benchmark databases are named st_bench*")
    with psycopg.connect(database_url_for("postgres", url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_drop(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    if not name.startswith(("st_bench", "bench")):
        return
    with psycopg.connect(database_url_for("postgres", url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_setup(*, database_url: str, redis_url: str = "", settings_module: str = "safetrack.settings.base") -> None:
    """Point Django at the benchmark's database and broker (before anything imports the settings)."""
    os.environ["DATABASE_URL"] = loopback_only(database_url)
    if redis_url:
        os.environ["REDIS_URL"] = loopback_only(redis_url)
    else:
        os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    django.setup()


def process_cpu_seconds(stat_text: str, *, children: bool = False) -> float:
    """CPU seconds of a process from its /proc/<pid>/stat text: user + system time, and with `children`
    also that of the children it has reaped (a PostgreSQL backend that exited still counts)."""
    fields = stat_text[stat_text.rindex(")") + 2 :].split()
    times = fields[11:15] if children else fields[11:13]  # stat fields 14-17: utime, stime, cutime, cstime
    return sum(int(x) for x in times) / os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def machine() -> str:
    cores = os.cpu_count()
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
        else:
            mem = "?"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cores} cores, {mem} RAM, Python {sys.version.split()[0]}, load average {load} (others' work included)"


def last_line(name: str, value: float | int, unit: str) -> None:
    """The line scripts and people grep for: `name value unit`, always printed last."""
    print(f"{name} {value if isinstance(value, int) else f'{value:.3f}'} {unit}", flush=True)


APP_CODE = r"(incidents|accounts|safetrack|django/template)/"


def cpu_profile(name: str, call: Callable[[], object], runs: int) -> str:
    """cProfile (on CPU time, not waiting for the database) of `runs` calls: the costliest functions by
    their own time, then the app's and the template engine's by cumulative time."""
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(runs):
        call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(APP_CODE, 40)
    return f"\ncProfile (CPU) of {runs} x {name}:\n{out.getvalue()}"
