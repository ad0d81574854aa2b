"""A newcomer's first `make run`: the demo's pages and logins are printed once everything is up, start-up
is short, and nothing it writes shows up in `git status` (run for real: migrate, seed_demo, runstack on
SQLite and the filesystem broker, stopped with Ctrl-C)."""

import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 180


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _untracked() -> set[str]:
    out = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return {line[3:] for line in out.stdout.splitlines() if line.startswith("??")}


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )


def _read_into(stream, lines: "queue.Queue[str | None]") -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _stack_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(SQLITE_PATH=str(tmp_path / "db.sqlite3"), SAFETRACK_LOCAL_DIR=str(tmp_path / "local"))
    return env


def _stack_start(env: dict[str, str], port: int) -> "tuple[subprocess.Popen[str], queue.Queue[str | None]]":
    """`make run`'s last step, in its own process group as a terminal runs it; its output goes to a queue."""
    stack = subprocess.Popen(
        [sys.executable, "manage.py", "runstack", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    # A reader thread, so the deadline holds even when the stack prints nothing more (a readline would block).
    printed: queue.Queue[str | None] = queue.Queue()
    assert stack.stdout is not None
    threading.Thread(target=_read_into, args=(stack.stdout, printed), daemon=True).start()
    return stack, printed


def _until_guide(printed: "queue.Queue[str | None]") -> list[str]:
    """The lines printed until the guide's last one (or the deadline, or the end of the output)."""
    lines: list[str] = []
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            line = printed.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        lines.append(line)
        if line.startswith("Press Ctrl-C"):
            break
    return lines


def _stop(stack: "subprocess.Popen[str]", sig: int) -> None:
    os.killpg(stack.pid, sig)
    try:
        stack.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(stack.pid, signal.SIGKILL)
        stack.wait(timeout=10)


def _descendants(pid: int) -> set[int]:
    """Every process started under `pid`, its children's children included (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier}
        frontier = children - found
        found |= children
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def test_runstack_prints_the_demo_guide_once_up_and_leaves_nothing_for_git_status(tmp_path: Path):
    env = _stack_env(tmp_path)
    env["AXES_VERBOSE"] = "false"
    _manage(env, "migrate", "--noinput", "-v", "0")
    # Migrations that remake SQLite tables keep the config-version triggers the ladder cache relies on.
    with closing(sqlite3.connect(tmp_path / "db.sqlite3")) as db:
        triggers = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert "incidents_escalationpolicy_config_touch_update" in triggers
    assert "accounts_membership_config_touch_insert" in triggers
    _manage(env, "seed_demo", "--quiet")
    before = _untracked()
    port = _free_port()
    env.pop("AXES_VERBOSE")
    stack, printed = _stack_start(env, port)
    try:
        lines = _until_guide(printed)
        time.sleep(3)  # the worker and beat connect to the broker (and would write its folders) by now
    finally:
        _stop(stack, signal.SIGINT)
    time.sleep(0.5)
    while not printed.empty():
        line = printed.get()
        if line is not None:
            lines.append(line)
    output = "".join(lines)
    site = f"http://127.0.0.1:{port}"
    for page in ("/", "/dashboard/", "/anonymous/DUSTDEVIL234/", "/receipt/", "/admin/"):
        assert f"{site}{page}" in output, f"{page} missing from:\n{output}"
    assert "admin@safetrack.example / safetrack-admin" in output
    assert f"Links in emails, the QR poster and exports start with {site}/" in output  # the port, not 8000
    assert "safetrack-demo" in output and "armorer@safetrack.example" in output
    assert output.count("AXES: BEGIN") == 1
    assert "celery@" not in output, "the Celery banner is back"
    assert (tmp_path / "local" / "broker" / "control").is_dir()
    assert not (ROOT / "control").exists()
    assert _untracked() == before


def test_stopping_the_stack_with_sigterm_stops_every_process_it_started(tmp_path: Path):
    # What a service manager, `kill -- -<group>` or a closed terminal does: the Celery workers' main
    # processes used to outlive the stack (minutes later, still taking tasks with yesterday's code).
    env = _stack_env(tmp_path)
    env["AXES_VERBOSE"] = "false"
    _manage(env, "migrate", "--noinput", "-v", "0")
    stack, printed = _stack_start(env, _free_port())
    started: set[int] = set()
    try:
        lines = _until_guide(printed)
        time.sleep(3)  # the workers have forked their pools
        started = _descendants(stack.pid) | {stack.pid}
        assert any("Press Ctrl-C" in line for line in lines), "".join(lines)
        assert len(started) >= 6, "the stack, web, two workers, beat and the workers' pools"
        os.killpg(stack.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while _alive(started) and time.monotonic() < deadline:
            time.sleep(0.25)
        left = {pid: _cmdline(pid) for pid in _alive(started)}
    finally:
        for pid in _alive(started | _descendants(stack.pid)):
            os.kill(pid, signal.SIGKILL)
        stack.wait(timeout=10)
    assert not left, f"still running 20 s after SIGTERM: {left}"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")[:100]
    except OSError:
        return "?"
