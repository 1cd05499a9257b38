"""Runs a user's engine command so that it never outlives the app.

Our own servers watch their standard input and end when the app's pipe
closes (app.lifeline); a user's engine knows nothing of that. The app
starts `python -m app engine-keeper -- COMMAND...` instead (a frozen build:
`pegasus-reports engine-keeper -- COMMAND...`; `python -m app.engine_keeper`
works too): the keeper runs the command in a process group of its own,
passes its output through, and watches its own standard input. When that
pipe closes (the app quit, crashed or was killed with SIGKILL) it stops the
whole group: SIGTERM, then SIGKILL after a grace period. When the command
ends by itself, the keeper ends with its exit status.

In a frozen build the keeper is the app's own executable, whose loader
points the library search path at the app's folder and sets variables of
its own. The user's command is a program of this computer, not of the app:
it gets the environment it would have had without the app's loader.
"""

import os
import signal
import subprocess
import sys
import threading

GRACE_SECONDS = 3.0
USAGE = "usage: python -m app engine-keeper -- COMMAND [ARGUMENT...]"
# Variables a frozen build's loader or its start-up hooks point into the
# app's folder; each holds a list of paths, or one path.
BUNDLE_PATH_VARIABLES = (
    "LD_LIBRARY_PATH",
    "DYLD_LIBRARY_PATH",
    "LIBPATH",
    "PATH",
    "QT_PLUGIN_PATH",
    "QML2_IMPORT_PATH",
    "QT_QPA_PLATFORM_PLUGIN_PATH",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)
# Where PyInstaller's loader keeps LD_LIBRARY_PATH as it found it.
SAVED_LIBRARY_PATH = "LD_LIBRARY_PATH_ORIG"
# The variables PyInstaller's loader sets for itself (_MEIPASS2: before 6.0).
LOADER_PREFIXES = ("_PYI_", "_MEIPASS2")


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
    bundle = getattr(sys, "_MEIPASS", None) if getattr(sys, "frozen", False) else None
    env = outside_environment(dict(os.environ), bundle) if bundle else None
    if sys.platform == "win32":
        if bundle:
            _reset_dll_directory()
        flags = subprocess.CREATE_NEW_PROCESS_GROUP
        return subprocess.Popen(command, creationflags=flags, env=env)
    return subprocess.Popen(command, start_new_session=True, env=env)


def outside_environment(env: dict[str, str], bundle: str) -> dict[str, str]:
    """env less what the frozen app's loader added: its paths, its variables.

    Its paths are those into bundle, the app's folder. LD_LIBRARY_PATH starts
    again from the value the loader saved, if any: the keeper, itself started
    by the frozen app, may have been given one already pointing into the
    app's folder, so the paths into it are taken out of that too.
    """
    # The loader's own variables would make a user's engine that is itself
    # a frozen program take itself for a worker of ours.
    env = {k: v for k, v in env.items() if not k.startswith(LOADER_PREFIXES)}
    saved = env.pop(SAVED_LIBRARY_PATH, None)
    if saved is not None:
        env["LD_LIBRARY_PATH"] = saved

    root = os.path.normcase(os.path.abspath(bundle))
    for name in BUNDLE_PATH_VARIABLES:
        if name not in env:
            continue
        kept = [
            entry
            for entry in env[name].split(os.pathsep)
            if entry and not _is_inside(entry, root)
        ]
        if kept:
            env[name] = os.pathsep.join(kept)
        else:
            del env[name]
    return env


def _is_inside(path: str, root: str) -> bool:
    path = os.path.normcase(os.path.abspath(path))
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _reset_dll_directory() -> None:
    """Undo the frozen loader's SetDllDirectory for the processes we start."""
    if sys.platform == "win32":
        import ctypes

        ctypes.windll.kernel32.SetDllDirectoryW(None)


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
