"""A user's engine command never outlives the app, even one killed with SIGKILL.

A stand-in app (a small Python process) starts a command through
app.engine_keeper, as the Engines panel does; the command writes its pid
and that of a child it starts itself, then sleeps and ignores its stdin.
When the stand-in is killed with SIGKILL, both must be gone.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")

ENGINE = textwrap.dedent(
    """
    import subprocess, sys, time
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(sys.argv[1], "w") as out:
        out.write(f"{__import__('os').getpid()} {helper.pid}")
    time.sleep(600)
    """
)

APP = textwrap.dedent(
    """
    import subprocess, sys, time
    subprocess.Popen(
        [sys.executable, "-m", "app.engine_keeper", "--", *sys.argv[1:]],
        stdin=subprocess.PIPE,
    )
    time.sleep(600)
    """
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for its parent to read its status has ended too.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[1].startswith("Z"))


def wait_for(condition, seconds: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_engine_and_its_children_go_when_the_app_is_killed(tmp_path: Path) -> None:
    engine = tmp_path / "engine.py"
    engine.write_text(ENGINE)
    pids_file = tmp_path / "pids"
    app = subprocess.Popen(
        [sys.executable, "-c", APP, sys.executable, str(engine), str(pids_file)]
    )
    try:
        assert wait_for(lambda: pids_file.exists() and " " in pids_file.read_text())
        pids = [int(word) for word in pids_file.read_text().split()]
        assert all(alive(pid) for pid in pids)

        app.send_signal(signal.SIGKILL)
        app.wait(10)

        assert wait_for(lambda: not any(alive(pid) for pid in pids)), pids
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)


def test_the_command_exit_status_is_the_keepers() -> None:
    # Our pipe stays open, as the app's does while it runs.
    keeper = subprocess.Popen(
        [
            *(sys.executable, "-m", "app.engine_keeper", "--", sys.executable, "-c"),
            "import sys; print('bye'); sys.exit(3)",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert keeper.wait(30) == 3
        assert keeper.stdout is not None
        assert keeper.stdout.read() == "bye\n"
    finally:
        assert keeper.stdin is not None
        keeper.stdin.close()
        if keeper.poll() is None:
            keeper.kill()
            keeper.wait(10)
