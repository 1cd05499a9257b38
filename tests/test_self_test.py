"""`--self-test`: the app checks itself on its embedded demo, with no display.

Each run goes through packaging/check_no_children.py, as the frozen app's
does: a session of its own, no Python on the PATH, and after its exit no
process of that session may be left. The temporary folder the self-test
works in is pointed at one of the test's, to see that it is removed.
"""

import asyncio
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.children import app_command
from app.errors import LocalServerError
from app.self_test import StepError, Steps

CHECKER = Path(__file__).resolve().parents[1] / "packaging" / "check_no_children.py"

PASSED_STEPS = [
    "ok   engine started at http://127.0.0.1:",
    "ok   sandbox gateway started at http://127.0.0.1:",
    "ok   signed in to the sandbox gateway as demo",
    "ok   loaded the engine's manifest: 3 reports",
    "ok   ran fleet_status as job 1: done, 3 files",
    "ok   downloaded fleet_status.json, fleet_status.csv, fleet_status.xlsx",
    "ok   fleet_status.json is JSON: ",
    "ok   fleet_status.csv is CSV: a header of ",
    "ok   fleet_status.xlsx opens as a workbook: ",
    "ok   stopped the engine and the sandbox",
    "ok   removed the temporary folder ",
    "self-test passed",
]


def checked(
    command: list[str], temp: Path, *, expect_exit: int = 0
) -> subprocess.CompletedProcess[str]:
    """Run command through the checker, with temp as the temporary folder."""
    temp.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, str(CHECKER), "--expect-exit", str(expect_exit), "--"]
        + command,
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(temp)},
        timeout=170,
    )


@pytest.mark.slow
def test_the_self_test_passes_without_qt_and_leaves_no_process_nor_folder(
    tmp_path: Path, data_dir: Path
) -> None:
    # -X importtime: which modules the self-test itself loads, on stderr.
    command = [sys.executable, "-X", "importtime", "-m", "app", "--self-test"]

    done = checked(command, tmp_path / "temp")

    lines = done.stdout.splitlines()
    steps = [line for line in lines if line.startswith(("ok   ", "FAIL", "self-test"))]
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(steps) == len(PASSED_STEPS) + 2, done.stdout
    for line, start in zip(steps, PASSED_STEPS, strict=False):
        assert line.startswith(start), done.stdout
    assert steps[-2:] == [
        "ok   it exited with status 0 (expected 0)",
        "ok   no process of its session is left",
    ]
    assert "Traceback" not in done.stdout + done.stderr
    assert "PySide6" not in done.stderr  # no Qt, so no display needed
    # Its own temporary folder is gone, and the user's data was not touched.
    assert list((tmp_path / "temp").iterdir()) == []
    assert list(data_dir.iterdir()) == []


@pytest.mark.slow
def test_out_of_time_it_fails_in_one_line_and_still_cleans_up(tmp_path: Path):
    # Far too short for the engine to start: the limit strikes mid-start.
    command = app_command("--self-test", "--time-limit", "0.01")

    done = checked(command, tmp_path / "temp", expect_exit=1)

    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "FAIL start the embedded demo: not finished within the time limit of 0.01 s"
        in done.stdout.splitlines()
    )
    assert "self-test failed" in done.stdout
    assert "ok   no process of its session is left" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert list((tmp_path / "temp").iterdir()) == []


def test_the_checker_names_and_ends_a_process_left_behind(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    leaves_one = (
        "import subprocess, sys; "
        "sleeper = [sys.executable, '-c', 'import time; time.sleep(60)']; "
        "child = subprocess.Popen(sleeper); "
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))"
    )

    done = checked([sys.executable, "-c", leaves_one], tmp_path / "temp")

    pid = int(pid_file.read_text())
    assert done.returncode == 1
    assert "FAIL 1 of its processes left running (now killed):" in done.stdout
    assert f"pid {pid}: " in done.stdout
    assert process_state(pid) in (None, "Z")


def test_the_checker_fails_a_command_with_another_exit_status(tmp_path: Path):
    done = checked([sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "temp")

    assert done.returncode == 1
    assert "FAIL it exited with status 3 (expected 0)" in done.stdout


def test_the_checker_runs_the_command_with_no_python_on_the_path(tmp_path: Path):
    looks = (
        "import json, os, shutil; print(json.dumps(["
        "shutil.which('python3'), shutil.which('python'), "
        "os.listdir(os.environ['PATH']), os.environ.get('QT_QPA_PLATFORM'), "
        "os.environ.get('VIRTUAL_ENV')]))"
    )

    done = checked([sys.executable, "-c", looks], tmp_path / "temp")

    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout.splitlines()[1]) == [
        None,
        None,
        [],
        "offscreen",
        None,
    ]


def test_a_bug_in_a_step_is_one_fail_line(caplog: pytest.LogCaptureFixture) -> None:
    out = io.StringIO()

    async def broken() -> None:
        raise RuntimeError("boom")

    with pytest.raises(StepError):
        asyncio.run(Steps(out).run("sign in", broken))

    assert out.getvalue() == "FAIL sign in: unexpected error: RuntimeError: boom\n"
    assert "boom" in caplog.text  # the traceback goes to the log, for --debug


def test_a_server_that_stopped_as_it_started_is_named_with_its_last_line() -> None:
    out = io.StringIO()
    output = (
        "Traceback (most recent call last):\nModuleNotFoundError: No module named 'x'"
    )

    async def start() -> None:
        raise LocalServerError(f"engine stopped as it started (exit code 1):\n{output}")

    with pytest.raises(StepError):
        asyncio.run(Steps(out).run("start the embedded demo", start))

    assert out.getvalue() == (
        "FAIL start the embedded demo: engine stopped as it started (exit code 1): "
        "ModuleNotFoundError: No module named 'x'\n"
    )


def process_state(pid: int) -> str | None:
    """The state letter of a process (Z for a zombie), None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]
