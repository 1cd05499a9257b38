"""Local engines: started from the Engines panel, listed with the sandbox.

The user starts the embedded engine, or an engine command of their own
(`python my_engine.py --port {port}`, `{port}` replaced by a free loopback
port), with a working folder and KEY=VALUE environment lines. Each runs as
a child process (app.children), its output streamed to the panel; it counts
as up once GET /manifest answers on its URL. While the window is signed in
to a gateway on this computer (the sandbox), an engine that is up is added
to the gateway's engines, so its reports join the catalog; it is removed
when it stops or exits. "Check engine" runs app.conformance's checks on the
selected engine in a worker thread, each line shown as it comes.
"""

import asyncio
import itertools
import logging
import shlex
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
from PySide6.QtCore import QObject, Signal

from app.addresses import is_loopback_host
from app.children import LocalServer, app_command
from app.controllers.tasks import TaskOwner
from app.errors import PegasusError, UsageError
from app.paths import data_dir

if TYPE_CHECKING:
    from app.controllers.session import Session
    from widgets.engines_panel import EnginesPanel

log = logging.getLogger(__name__)

PORT_MARK = "{port}"
UP_TIMEOUT = 30.0  # seconds for a started engine to answer GET /manifest
POLL_EVERY = 0.25
CHECK_WAIT = 60.0  # seconds each conformance job may take
REGISTER_PATH = "/sandbox/engines"
EXIT_LINES = 5

STARTING, UP, EXITED, STOPPED = "starting", "up", "exited", "stopped"


class EngineProcess(LocalServer):
    """A LocalServer that is not waited for: the panel polls its manifest.

    A user's engine need not print app.serve's ready line, so launch()
    returns once the process runs; its URL is the one its {port} made, or
    the one its ready line gives.
    """

    def launched_command(self) -> list[str]:
        # A user's command does not watch our pipe: the keeper does, and
        # stops the command and its children when the app is gone. Through
        # app_command: a frozen build runs itself with the subcommand.
        return app_command("engine-keeper", "--", *self.command)


@dataclass
class LocalEngine:
    """One engine started from the panel, and what is known of it."""

    number: int
    name: str
    process: EngineProcess
    url: str | None
    state: str = STARTING
    exit_code: int | None = None
    registered_at: str | None = None  # the gateway API it was added to

    @property
    def known_url(self) -> str | None:
        return self.url or self.process.url

    def label(self) -> str:
        where = f" at {self.known_url}" if self.known_url else ""
        if self.state == EXITED:
            return f"{self.name}: exited with code {self.exit_code}"
        listed = ", in the catalog" if self.registered_at else ""
        return f"{self.name}: {self.state}{where}{listed}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now.

    Another program could take it before the engine binds it; the engine
    then fails to start, and its exit and output say so.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def parse_environment(text: str) -> dict[str, str]:
    """KEY=VALUE lines (blank lines and # comments skipped); UsageError."""
    env: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"environment line {number} is not KEY=VALUE: {line}")
        env[key.strip()] = value
    return env


def engine_command(text: str) -> tuple[list[str], str | None]:
    """The command's words, {port} filled in, and the URL that port makes."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"the engine command cannot be read: {exc}") from exc
    if not words:
        raise UsageError("type the command that starts the engine")
    if not any(PORT_MARK in word for word in words):
        return words, None
    port = free_port()
    filled = [word.replace(PORT_MARK, str(port)) for word in words]
    return filled, f"http://127.0.0.1:{port}"


class EnginesController(QObject):
    """Starts, watches, lists and checks the local engines.

    Signals:
        catalog_changed(): the gateway's engines changed; reload the catalog.
        engine_up(str): an engine answers its manifest at this URL.
    """

    catalog_changed = Signal()
    engine_up = Signal(str)
    # From reader and worker threads to the Qt thread.
    _output = Signal(int, str)
    _exited = Signal(int, int)
    _check_line = Signal(str)
    _check_done = Signal()

    def __init__(self, panel: "EnginesPanel") -> None:
        super().__init__()
        self.panel = panel
        self.engines: dict[int, LocalEngine] = {}
        self.session: Session | None = None
        self.checking = False
        self._closed = False
        self._numbers = itertools.count(1)
        self._tasks = TaskOwner("engines")
        self._client = httpx.AsyncClient(trust_env=False, timeout=5.0)

        self._output.connect(self._on_output)
        self._exited.connect(self._on_exited)
        self._check_line.connect(panel.append_check_line)
        self._check_done.connect(self._on_check_done)
        panel.start_embedded_requested.connect(self.start_embedded)
        panel.start_command_requested.connect(self.start_command)
        panel.stop_requested.connect(self.stop)
        panel.check_requested.connect(self.check)

    # -- starting and stopping -------------------------------------------

    def start_embedded(self) -> None:
        """The engine built into this app, on a free port."""
        folder = data_dir() / "local-engine-files"
        command = app_command(
            "engine", "--port", PORT_MARK, "--files", str(folder), "--watch-stdin"
        )
        self._start("embedded engine", shlex.join(command), None, {})

    def start_command(self, command: str, folder: str, environment: str) -> None:
        """A user's engine command, in its folder, with its environment."""
        cwd = Path(folder).expanduser() if folder.strip() else None
        if cwd is not None and not cwd.is_dir():
            self.panel.show_status(f"the working folder {cwd} does not exist")
            return
        try:
            env = parse_environment(environment)
        except UsageError as exc:
            self.panel.show_status(str(exc))
            return
        # Named for its script (`my_engine.py`) or else its program.
        words = command.split()
        scripts = [word for word in words if word.strip("'\"").endswith(".py")]
        named = scripts[0] if scripts else (words[0] if words else "engine")
        name = Path(named.strip("'\"")).name or "engine"
        self._start(name, command, cwd, env)

    def _start(
        self, name: str, command: str, cwd: Path | None, env: dict[str, str]
    ) -> None:
        try:
            words, url = engine_command(command)
            number = next(self._numbers)
            process = EngineProcess(f"{name} #{number}", words, cwd=cwd, env=env)
            process.add_listener(lambda line: self._output.emit(number, line))
            process.add_exit_listener(lambda code: self._exited.emit(number, code))
            process.launch()
        except PegasusError as exc:
            self.panel.show_status(str(exc))
            return

        engine = LocalEngine(number, process.name, process, url)
        self.engines[number] = engine
        self._show()
        self.panel.show_status(f"{engine.name} is starting")
        self._tasks.start(self._wait_until_up(engine), key=f"up-{number}")

    def stop(self, number: int) -> None:
        """Stop an engine; its exit is shown when its process has ended."""
        engine = self.engines.get(number)
        if engine is None or engine.state in (EXITED, STOPPED):
            return
        engine.state = STOPPED
        self._tasks.cancel(f"up-{number}")
        self._unregister_later(engine)
        if self._closed:
            engine.process.stop()
            return
        # In a thread of its own (not the loop's executor, which would call
        # back into a loop that may be closed by then): an engine that
        # ignores SIGTERM takes seconds to end.
        threading.Thread(
            target=engine.process.stop, name=f"stop {engine.name}", daemon=True
        ).start()

    def stop_all(self) -> None:
        """End every engine process: they must not outlive the app.

        Called on quit and from the crash handler. An app killed outright
        never gets here: each engine's keeper (app.engine_keeper) then sees
        its pipe close and stops the engine's whole process group.
        """
        for engine in self.engines.values():
            engine.process.stop()

    async def aclose(self) -> None:
        self._closed = True
        for engine in self.engines.values():
            if engine.registered_at:
                await self._unregister(engine)
        await self._tasks.aclose()
        await self._client.aclose()
        self.stop_all()

    async def _wait_until_up(self, engine: LocalEngine) -> None:
        deadline = time.monotonic() + UP_TIMEOUT
        while engine.state == STARTING and time.monotonic() < deadline:
            url = engine.known_url
            if url and await self._answers(url):
                engine.state = UP
                log.info("%s is up at %s", engine.name, url)
                self.panel.show_status(f"{engine.name} is up at {url}")
                self._show()
                self.engine_up.emit(url)
                await self._register(engine)
                return
            await asyncio.sleep(POLL_EVERY)
        if engine.state == STARTING:
            self.panel.show_status(
                f"{engine.name} did not answer GET /manifest within "
                f"{UP_TIMEOUT:.0f} s; is {PORT_MARK} in its command, or does it "
                "print 'listening on URL'?"
            )

    async def _answers(self, url: str) -> bool:
        try:
            response = await self._client.get(url.rstrip("/") + "/manifest")
        except httpx.HTTPError as exc:
            log.debug("GET %s/manifest failed: %s", url, exc)
            return False
        return response.is_success

    def _on_output(self, number: int, line: str) -> None:
        engine = self.engines.get(number)
        if engine is not None:
            self.panel.append_log(engine.name, line)

    def _on_exited(self, number: int, code: int) -> None:
        engine = self.engines.get(number)
        if engine is None:
            return
        engine.exit_code = code
        engine.state = EXITED
        self._tasks.cancel(f"up-{number}")
        self._unregister_later(engine)
        tail = "\n".join(engine.process.last_lines(EXIT_LINES)) or "(no output)"
        self.panel.show_status(
            f"{engine.name} exited with code {code}; its last lines:\n{tail}"
        )
        self._show()

    def _show(self) -> None:
        self.panel.set_engines(
            [(engine.number, engine.label()) for engine in self.engines.values()],
            running=[n for n, e in self.engines.items() if e.state in (STARTING, UP)],
        )

    # -- the gateway's engine list ----------------------------------------

    def start_session(self, session: "Session") -> None:
        """Add the engines that are up to this session's gateway."""
        self.session = session
        for engine in self.engines.values():
            engine.registered_at = None
            if engine.state == UP:
                self._tasks.start(self._register(engine))

    def end_session(self) -> None:
        # TODO(engines): the session's token is gone by now, so engines added
        # to its gateway stay listed there; one stopped later shows in that
        # gateway's catalog as an engine whose manifest cannot be read.
        self.session = None

    def _local_gateway(self) -> "Session | None":
        session = self.session
        if session is None or session.gateway.token is None:
            return None
        host = urlsplit(session.gateway.site_url).hostname or ""
        return session if is_loopback_host(host) else None

    async def _register(self, engine: LocalEngine) -> None:
        session = self._local_gateway()
        url = engine.known_url
        if session is None or url is None:
            log.info("%s is not added to a gateway: none on this computer", url)
            return
        api = session.gateway.api_url
        try:
            response = await self._client.post(
                api + REGISTER_PATH,
                json={"url": url},
                headers={"Authenticate": session.gateway.token or ""},
            )
        except httpx.HTTPError as exc:
            self.panel.show_status(f"could not add {url} to the gateway: {exc}")
            return
        if not response.is_success:
            self.panel.show_status(
                f"the gateway did not add {url} to its engines "
                f"(HTTP {response.status_code}); only the local sandbox can"
            )
            return
        engine.registered_at = api
        log.info("%s added to the engines of %s", url, api)
        self._show()
        self.catalog_changed.emit()

    def _unregister_later(self, engine: LocalEngine) -> None:
        # Once closed, aclose() has taken the engines off the list itself.
        if engine.registered_at is not None and not self._closed:
            self._tasks.start(self._unregister(engine))

    async def _unregister(self, engine: LocalEngine) -> None:
        session, api = self._local_gateway(), engine.registered_at
        url = engine.known_url
        engine.registered_at = None
        if session is None or api != session.gateway.api_url or url is None:
            return
        try:
            await self._client.delete(
                api + REGISTER_PATH,
                params={"url": url},
                headers={"Authenticate": session.gateway.token or ""},
            )
        except httpx.HTTPError as exc:
            log.warning("could not remove %s from the gateway: %s", url, exc)
            return
        log.info("%s removed from the engines of %s", url, api)
        self.catalog_changed.emit()

    # -- conformance ------------------------------------------------------

    def check(self, number: int) -> None:
        """Run check-engine on an engine that is up, line by line."""
        engine = self.engines.get(number)
        if engine is None or engine.state != UP or engine.known_url is None:
            self.panel.show_status("select an engine that is up to check it")
            return
        if self.checking:
            return
        self.checking = True
        self.panel.start_check(engine.name)
        # TODO(engines): a check cannot be cancelled; closing the app while
        # one runs leaves its thread to end with the process.
        threading.Thread(
            target=self._run_check, args=(engine.known_url,), daemon=True
        ).start()

    def _run_check(self, url: str) -> None:
        # app.conformance brings the manifest and schema code: loaded on use.
        from app.conformance import check_engine

        passed = total = 0
        try:
            for outcome in check_engine(url, None, None, CHECK_WAIT):
                total += 1
                passed += outcome.passed
                self._check_line.emit(outcome.line())
            self._check_line.emit(f"{passed} of {total} checks passed")
        except PegasusError as exc:
            self._check_line.emit(f"the check could not run: {exc}")
        finally:
            self._check_done.emit()

    def _on_check_done(self) -> None:
        self.checking = False
        self.panel.finish_check()
