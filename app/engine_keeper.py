"""Runs a user's engine command so that it never outlives the app.

Our own servers watch their standard input and end when the app's pipe
closes (app.lifeline); a user's engine knows nothing of that. The app
starts `python -m app.engine_keeper -- COMMAND...` instead: the keeper runs
the command in a process group of its own, passes its output through, and
watches its own standard input. When that pipe closes (the app quit,
crashed or was killed with SIGKILL) it stops the whole group: SIGTERM, then
SIGKILL after a grace period. When the command ends by itself, the keeper
ends with its exit status.
"""

import os
import signal
import subprocess
import sys
import threading

GRACE_SECONDS = 3.0
USAGE = "usage: python -m app.engine_keeper -- COMMAND [ARGUMENT...]"


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "--":
        sys.stderr.write(USAGE + "\n")
        return 2

    try:
        child = _start(argv[1:])
    except OSError as exc:
        sys.stderr.write(f"could not start {argv[1]!r}: {exc}\n")
        return 127

    threading.Thread(target=_stop_when_parent_dies, args=(child,), daemon=True).start()
    # Stopped by the app (SIGTERM) or Ctrl+C: the command is stopped with us.
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda n, _frame: _signal_group(child, n))
    status = child.wait()
    # A command ended by a signal reports it as a shell does (128 + number).
    return 128 - status if status < 0 else status


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    # The command shares our standard input, the app's pipe: an engine that
    # watches it (ours, with --watch-stdin) ends by itself too.
    if sys.platform == "win32":
        flags = subprocess.CREATE_NEW_PROCESS_GROUP
        return subprocess.Popen(command, creationflags=flags)
    return subprocess.Popen(command, start_new_session=True)


def _stop_when_parent_dies(child: subprocess.Popen[bytes]) -> None:
    # os.read on the descriptor: see app.lifeline for why not sys.stdin.
    try:
        while os.read(sys.stdin.fileno(), 4096):
            pass
    except (OSError, ValueError):
        pass

    _signal_group(child, signal.SIGTERM)
    try:
        child.wait(GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _signal_group(child, getattr(signal, "SIGKILL", signal.SIGTERM))
    os._exit(0)


def _signal_group(child: subprocess.Popen[bytes], number: int) -> None:
    """Signal the command and whatever it started itself."""
    try:
        if os.name == "nt":
            # TODO(engines): on Windows only the command itself is ended; a
            # process it started of its own would need a job object.
            if number == signal.SIGTERM:
                child.terminate()
            else:
                child.kill()
        else:
            os.killpg(child.pid, number)
    except (ProcessLookupError, PermissionError):
        pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
