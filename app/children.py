"""Starts and stops the local server processes: the engine and the sandbox.

Each child is this same program run with a subcommand (`python -m app
engine ...`, or the frozen executable itself with the subcommand). Its
standard input is a pipe the child watches (see lifeline.py), so it ends
when we end, however we end. Its output is read by a thread, kept as the
last lines for error messages, and handed to any listener. Exit listeners
hear when the process has ended, whatever ended it.
"""

import collections
import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from app.errors import LocalServerError

log = logging.getLogger(__name__)

# The line a server prints first (see serve.py), from which we read its URL.
READY_MARK = "listening on"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
_READY_RE = re.compile(re.escape(READY_MARK) + r" (\S+)")

LineListener = Callable[[str], None]
ExitListener = Callable[[int], None]


def app_command(*args: str) -> list[str]:
    """The command line that runs this program with the given arguments.

    From source it is `python -m app ARGS`; a frozen build has no Python to
    run a module with, so it runs its own executable with ARGS. Every
    process of ours the app starts goes through here, the hidden
    subcommands of app.cli (engine-keeper) included.
    """
    if getattr(sys, "frozen", False):
        return [sys.executable, *args]
    return [sys.executable, "-m", "app", *args]


SECRET_OPTIONS = frozenset({"--password", "--token"})


def shown_command(command: Sequence[str]) -> list[str]:
    """The command line as it may be logged: values of secret options masked."""
    shown = list(command)
    for index, word in enumerate(shown[:-1]):
        if word in SECRET_OPTIONS:
            shown[index + 1] = "***"
    return shown


class LocalServer:
    """One child server process, from start to its ready URL to its stop."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.cwd = cwd
        self.env = env
        self.url: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lines: collections.deque[str] = collections.deque(maxlen=200)
        self._listeners: list[LineListener] = []
        self._exit_listeners: list[ExitListener] = []
        self._ready = threading.Event()
        self._ended = threading.Event()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def returncode(self) -> int | None:
        return self._process.poll() if self._process else None

    def last_lines(self, count: int = 20) -> list[str]:
        return list(self._lines)[-count:]

    def add_listener(self, listener: LineListener) -> None:
        """Call listener with every output line, from the reader thread."""
        self._listeners.append(listener)

    def add_exit_listener(self, listener: ExitListener) -> None:
        """Call listener with the exit code once the process has ended.

        It is called from the output reader thread, after the process has
        been reaped, also when stop() ended it.
        """
        self._exit_listeners.append(listener)

    def start(self, timeout: float = START_TIMEOUT) -> str:
        """Start the process and wait for its ready line; return its URL."""
        self.launch()

        self._ready.wait(timeout)
        if self.url is None:
            self._ended.wait(1.0)
            code = self.returncode
            self.stop()
            tail = "\n".join(self.last_lines()) or "(no output)"
            if code is not None:
                raise LocalServerError(
                    f"{self.name} stopped as it started (exit code {code}):\n{tail}"
                )
            raise LocalServerError(
                f"{self.name} did not start within {timeout:.0f} s; "
                f"its last output:\n{tail}"
            )
        log.info("%s is up at %s (pid %s)", self.name, self.url, self.pid)
        return self.url

    def launch(self) -> None:
        """Start the process and read its output, without waiting for it."""
        env = {**os.environ, **(self.env or {}), "PYTHONUNBUFFERED": "1"}
        log.info("starting %s: %s", self.name, " ".join(shown_command(self.command)))
        try:
            self._process = subprocess.Popen(
                self.launched_command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env=env,
            )
        except OSError as exc:
            raise LocalServerError(f"could not start {self.name}: {exc}") from exc

        reader = threading.Thread(
            target=self._read_output, name=f"{self.name}-output", daemon=True
        )
        reader.start()

    def launched_command(self) -> list[str]:
        """What is run for self.command: the command itself."""
        return list(self.command)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Ask the process to end, then make it end; safe to call twice."""
        process = self._process
        if process is None or process.poll() is not None:
            return

        log.info("stopping %s (pid %s)", self.name, process.pid)
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %.0f s; killing it", self.name, timeout)
            process.kill()
            process.wait(timeout)
        if process.stdin:
            process.stdin.close()

    def _read_output(self) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            self._lines.append(line)
            if self.url is None:
                match = _READY_RE.search(line)
                if match:
                    self.url = match.group(1)
                    self._ready.set()
            for listener in self._listeners:
                listener(line)

        self._process.stdout.close()
        # Reap the process first, so that whoever wakes up sees its exit code.
        code = self._process.wait()
        self._ended.set()
        self._ready.set()
        log.info("%s exited with code %s", self.name, code)
        for on_exit in self._exit_listeners:
            on_exit(code)
