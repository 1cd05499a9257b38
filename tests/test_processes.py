"""The local servers never outlive the app, however the app ends."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from app.children import LocalServer, app_command, shown_command
from app.errors import LocalServerError
from app.paths import DATA_DIR_ENV

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="SIGKILL is a POSIX signal"
)

SERVER_WORDS = ("engine", "sandbox")


def server_children(parent: psutil.Process) -> list[psutil.Process]:
    """The engine and sandbox processes started by parent."""
    found = []
    for child in parent.children(recursive=True):
        try:
            cmdline = child.cmdline()
        except psutil.Error:
            continue
        if any(word in cmdline for word in SERVER_WORDS):
            found.append(child)
    return found


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def assert_all_end(processes: list[psutil.Process]) -> None:
    wait_for(
        lambda: not any(alive(p) for p in processes),
        timeout=15,
        what="the engine and sandbox to exit",
    )


def app_env(data_dir: Path) -> dict[str, str]:
    # TMPDIR: a `run --demo` killed here leaves its demo folder in the test's.
    return {
        **os.environ,
        DATA_DIR_ENV: str(data_dir),
        "QT_QPA_PLATFORM": "offscreen",
        "TMPDIR": str(data_dir),
    }


def test_a_server_that_fails_to_start_is_reported_with_its_output():
    server = LocalServer(
        "broken", [sys.executable, "-c", "print('port taken'); raise SystemExit(3)"]
    )

    with pytest.raises(LocalServerError, match="exit code 3") as raised:
        server.start(timeout=20)
    assert "port taken" in str(raised.value)
    assert server.returncode == 3


def test_a_server_stops_when_asked(tmp_path):
    server = LocalServer(
        "engine",
        app_command("engine", "--port", "0", "--files", str(tmp_path), "--watch-stdin"),
    )
    server.start()
    process = psutil.Process(server.pid)

    server.stop()

    assert not alive(process)
    assert server.returncode is not None


def test_servers_end_when_the_headless_run_is_killed_during_a_job(data_dir):
    args = '{"from": "2026-10-01T00:00:00", "to": "2026-11-01T00:00:00"}'
    app = subprocess.Popen(
        [
            *app_command("run", "--demo", "--script", "idling", "--args", args),
            "--out",
            str(data_dir / "out"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=app_env(data_dir),
    )
    try:
        parent = psutil.Process(app.pid)
        children = wait_for(
            lambda: len(server_children(parent)) == 2 and server_children(parent),
            timeout=60,
            what="the demo servers to start",
        )
        assert app.stderr is not None
        wait_for(
            lambda: b"running" in app.stderr.readline(),
            timeout=60,
            what="the job to run",
        )

        app.send_signal(signal.SIGKILL)
        app.wait(10)

        assert_all_end(children)
    finally:
        app.kill()
        app.wait(10)


def test_servers_end_when_the_window_is_killed(data_dir):
    app = subprocess.Popen(
        app_command("--demo"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=app_env(data_dir),
    )
    try:
        parent = psutil.Process(app.pid)
        children = wait_for(
            lambda: len(server_children(parent)) == 2 and server_children(parent),
            timeout=60,
            what="the demo servers to start",
        )

        app.send_signal(signal.SIGKILL)
        app.wait(10)

        assert_all_end(children)
    finally:
        app.kill()
        app.wait(10)


def test_servers_end_when_the_window_gets_ctrl_c(data_dir):
    app = subprocess.Popen(
        app_command("--demo"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=app_env(data_dir),
    )
    try:
        parent = psutil.Process(app.pid)
        children = wait_for(
            lambda: len(server_children(parent)) == 2 and server_children(parent),
            timeout=60,
            what="the demo servers to start",
        )
        # Let the window finish starting, as a person would before pressing it.
        time.sleep(2)

        app.send_signal(signal.SIGINT)

        assert app.wait(20) in (0, 130)
        assert_all_end(children)
        assert b"Traceback" not in app.stderr.read()
    finally:
        app.kill()
        app.wait(10)


def test_the_logged_command_line_masks_passwords():
    shown = shown_command(["python", "-m", "app", "sandbox", "--password", "s3cret"])

    assert "s3cret" not in shown
    assert shown[-2:] == ["--password", "***"]
