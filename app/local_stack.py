"""The embedded demo: a sandbox gateway and the embedded engine on loopback.

Used by the window (`--demo`, and the first run), by `python -m app run
--demo` and by the tests, so all three meet the same processes. The engine
starts first, so the sandbox can be told its URL. Whoever owns the stack
may be told when one of its servers ends without being asked to (killed,
crashed), to say so and offer a restart. The sandbox is given its user's
password in its environment, never on its command line.
"""

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.children import LocalServer, app_command
from app.paths import data_dir

log = logging.getLogger(__name__)

DEMO_USER = "demo"
DEMO_PASSWORD = "demo"  # the documented, public sign-in of the local demo
# Where the sandbox reads its user's password when --password is not given
# (app/sandbox/cli.py's PASSWORD_ENV; not imported, to keep the sandbox's
# web stack out of the window's start-up).
SANDBOX_PASSWORD_ENV = "PEGASUS_SANDBOX_PASSWORD"

# Told the server's name ("engine", "sandbox") and its exit code.
ServerExit = Callable[[str, int], None]


@dataclass
class DemoStack:
    """The two local servers and how to sign in to the gateway among them."""

    folder: Path
    extra_sandbox_args: list[str] = field(default_factory=list)
    engine: LocalServer | None = None
    sandbox: LocalServer | None = None
    username: str = DEMO_USER
    password: str = DEMO_PASSWORD
    # Called from a reader thread when a server of the started stack ends
    # unasked; not while starting, and not when stop() ends it.
    on_unexpected_exit: ServerExit | None = None
    _running: bool = field(default=False, init=False, repr=False)

    @property
    def gateway_url(self) -> str:
        if not (self.sandbox and self.sandbox.url):
            raise RuntimeError("the demo stack is not started")
        return self.sandbox.url

    @property
    def engine_url(self) -> str:
        if not (self.engine and self.engine.url):
            raise RuntimeError("the demo stack is not started")
        return self.engine.url

    def start(self) -> "DemoStack":
        """Start the engine, then the sandbox that knows it. Blocks until up."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.engine = LocalServer(
            "engine",
            app_command(
                "engine",
                "--port",
                "0",
                "--files",
                str(self.folder / "engine-files"),
                "--watch-stdin",
            ),
        )
        self.sandbox = LocalServer(
            "sandbox",
            app_command(
                "sandbox",
                "--port",
                "0",
                "--db",
                str(self.folder / "sandbox.sqlite3"),
                "--user",
                self.username,
                "--watch-stdin",
                *self.extra_sandbox_args,
            ),
            # Not on the command line, which anyone on this computer can read.
            env={SANDBOX_PASSWORD_ENV: self.password},
        )
        for server in (self.engine, self.sandbox):
            server.add_exit_listener(functools.partial(self._on_exit, server.name))
        try:
            engine_url = self.engine.start()
            self.sandbox.command += ["--engine", engine_url]
            self.sandbox.start()
        except BaseException:
            self.stop()
            raise
        self._running = True
        log.info("demo gateway %s with engine %s", self.gateway_url, engine_url)
        return self

    def stop(self) -> None:
        """Stop both servers; safe to call at any point, and twice."""
        # First, so that the exits that follow are known to be asked for.
        self._running = False
        for server in (self.sandbox, self.engine):
            if server is not None:
                server.stop()

    def _on_exit(self, name: str, code: int) -> None:
        if not self._running:
            return
        log.warning("the demo %s stopped unexpectedly (exit code %s)", name, code)
        if self.on_unexpected_exit is not None:
            self.on_unexpected_exit(name, code)


def demo_folder() -> Path:
    """Where the demo keeps its database and files between runs."""
    return data_dir() / "demo"
