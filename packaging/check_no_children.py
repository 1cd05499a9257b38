"""Run a command as a fresh user would, and check it leaves no process behind.

    python packaging/check_no_children.py [--expect-exit N] -- COMMAND [ARG...]

e.g. on the frozen app:

    python packaging/check_no_children.py -- \\
        dist/pegasus-reports-0.1.0/pegasus-reports --self-test

The command runs in a session of its own, without a display
(QT_QPA_PLATFORM=offscreen), with a PATH of one empty folder and no Python
environment variables: whatever it needs, it must bring. Its output is
passed through. Once it has exited, any process still in its session is
named and killed. Exit status: 0 when the command exited with the expected
status (0 unless --expect-exit) and left nothing running; 1 otherwise; 2
when the command cannot be started.

Processes are found through /proc on Linux; elsewhere on POSIX only whether
its process group is empty can be told; on Windows only the exit status is
checked.
"""

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

# Variables that would point the command at a Python installation.
PYTHON_VARIABLES = (
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PYTHONUSERBASE",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
)
DEFAULT_TIMEOUT = 300.0
_HAS_PROC = Path("/proc/self/stat").exists()


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        _say("FAIL no command given; put it after --")
        return 2
    program = _resolved(command[0])
    if program is None:
        _say(f"FAIL {command[0]} is not a program that can be run")
        return 2

    with tempfile.TemporaryDirectory(prefix="empty-path-") as empty:
        env = _bare_environment(empty)
        _say(f"run  {' '.join(command)} (PATH={empty}, QT_QPA_PLATFORM=offscreen)")
        try:
            process = subprocess.Popen(
                [program, *command[1:]], env=env, start_new_session=os.name != "nt"
            )
        except OSError as exc:
            _say(f"FAIL {command[0]} could not be started: {exc.strerror}")
            return 2
        status = _wait(process, args.timeout)

    ok = status == args.expect_exit
    if status is not None:
        outcome = "ok  " if ok else "FAIL"
        _say(f"{outcome} it exited with status {status} (expected {args.expect_exit})")
    return 0 if _nothing_left(process.pid) and ok else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Run a command in a session of its own, with no Python on "
        "the PATH and no display, and check that it leaves no process behind."
    )
    parser.add_argument(
        "--expect-exit",
        type=int,
        default=0,
        metavar="N",
        help="the exit status the command should end with (default 0)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"stop the command after this long (default {DEFAULT_TIMEOUT:.0f})",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER)
    return parser


def _resolved(program: str) -> str | None:
    """An absolute path to program: the command's PATH will be empty."""
    if os.sep in program or (os.altsep and os.altsep in program):
        path = Path(program).absolute()
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(program)


def _bare_environment(empty_folder: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PYTHON_VARIABLES}
    env["PATH"] = empty_folder
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def _wait(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    """The command's exit status; None when it had to be stopped."""
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        _say(f"FAIL it did not end within {timeout:g} s; stopping it")
        _kill_session(process.pid)
        process.wait()
        return None


def _nothing_left(session: int) -> bool:
    """Whether no process of the session is left; kill those that are."""
    if os.name == "nt":
        # TODO(packaging): on Windows the processes the command started are
        # not looked for; a job object would find them.
        _say("note processes left behind are not looked for on Windows")
        return True

    if _HAS_PROC:
        left = _session_processes(session)
        if left:
            _say(f"FAIL {len(left)} of its processes left running (now killed):")
            for pid, command in left:
                _say(f"     pid {pid}: {command}")
            _kill_session(session)
            return False
    elif _group_alive(session):
        _say("FAIL processes of its process group are left running (now killed)")
        _kill_session(session)
        return False

    _say("ok   no process of its session is left")
    return True


def _session_processes(session: int) -> list[tuple[int, str]]:
    """The live processes (zombies aside) whose session is the given one."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # it ended while we looked
            continue
        # "pid (name) state ppid pgrp session ...": the name may hold spaces.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == session and fields[0] != "Z":
            words = command.decode("utf-8", "replace").split("\0")
            found.append((int(entry.name), " ".join(w for w in words if w)))
    return found


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_session(session: int) -> None:
    if os.name == "nt":
        return
    # Also those that made process groups of their own, found by session.
    pids = [pid for pid, _ in _session_processes(session)] if _HAS_PROC else []
    for kill, target in [(os.killpg, session)] + [(os.kill, pid) for pid in pids]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(target, signal.SIGKILL)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
