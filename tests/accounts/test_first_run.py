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


def test_runstack_prints_the_demo_guide_once_up_and_leaves_nothing_for_git_status(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        SQLITE_PATH=str(tmp_path / "db.sqlite3"), SAFETRACK_LOCAL_DIR=str(tmp_path / "local"), AXES_VERBOSE="false"
    )
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
    stack = subprocess.Popen(
        [sys.executable, "manage.py", "runstack", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    # A reader thread, so the deadline holds even when the stack prints nothing more (a readline would block).
    printed: queue.Queue[str | None] = queue.Queue()
    assert stack.stdout is not None
    reader = threading.Thread(target=_read_into, args=(stack.stdout, printed), daemon=True)
    reader.start()
    try:
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
        time.sleep(3)  # the worker and beat connect to the broker (and would write its folders) by now
    finally:
        os.killpg(stack.pid, signal.SIGINT)
        try:
            stack.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait(timeout=10)
        reader.join(timeout=10)
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
