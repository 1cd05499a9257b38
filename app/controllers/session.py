"""Signing in: to a gateway with a password or a token, or to the local demo.

The controller owns the signed-in Gateway (one httpx client, closed when the
session ends) and, when it started it, the local demo stack. The demo takes
a second or two to start, so it starts in a worker thread while the window
says so; if one of its servers dies later, the window says so and offers
the restart. The last gateway and user are remembered in the settings; the
password and the token never are, nor the demo's own passing address.
"""

import asyncio
import logging
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

from app.addresses import normalize_site_url, without_user_info
from app.controllers.notices import Notices, sentence
from app.controllers.tasks import TaskOwner
from app.errors import AuthError, PegasusError
from app.gateway import Gateway
from app.local_stack import DemoStack, demo_folder
from app.settings import MODE_DEMO, MODE_GATEWAY, Settings

if TYPE_CHECKING:
    from widgets.main_window import MainWindow
    from widgets.sign_in import SignInDialog

log = logging.getLogger(__name__)

SIGN_IN_KEY = "sign-in"
# What a 401 after a password was taken means while signing in: the core's
# words for it ("no longer accepts your sign-in") fit a session that ended.
PASSWORD_REFUSED = "the gateway refused the user name or password"
DEMO_STOPPED = (
    "The demo {name} stopped (exit code {code}). File → Use the demo restarts it."
)
# The demo's servers as the window calls them.
DEMO_SERVER_NAMES = {"engine": "engine", "sandbox": "gateway"}
StackFactory = Callable[[], DemoStack]


@dataclass
class Session:
    """A signed-in gateway and what the app knows of its user."""

    gateway: Gateway
    username: str
    demo: bool = False
    user: dict[str, Any] = field(default_factory=dict)

    # app.runs is imported on first use: it brings the manifest and schema
    # code, which only a report shown or run needs.
    @property
    def tz(self) -> str:
        from app.runs import user_tz

        return user_tz(self.user)

    @property
    def prefs(self) -> dict[str, str]:
        from app.runs import user_job_prefs

        return user_job_prefs(self.user)

    @property
    def label(self) -> str:
        """ "demo on 127.0.0.1:8801" for the status bar."""
        host = urllib.parse.urlsplit(self.gateway.site_url).netloc
        where = f"the demo gateway ({host})" if self.demo else host
        return f"{self.username} on {where}"


def default_stack() -> DemoStack:
    return DemoStack(folder=demo_folder())


def _is_up(stack: DemoStack) -> bool:
    return bool(stack.sandbox and stack.sandbox.url)


def _has_ended(stack: DemoStack) -> bool:
    servers = (stack.engine, stack.sandbox)
    return any(s is not None and s.returncode is not None for s in servers)


class SessionController(QObject):
    """Signs in and out.

    Signals:
        signed_in(Session): a new session is ready (the old one is closed).
        signed_out(): the session ended.
    """

    signed_in = Signal(object)
    signed_out = Signal()
    # From the demo's reader threads to the Qt thread: (server name, code).
    # The code is an object: on Windows it can be above 2**31 (0xC0000005).
    _demo_server_exited = Signal(str, object)

    def __init__(
        self,
        window: "MainWindow",
        settings: Settings,
        notices: Notices,
        *,
        demo_stack: DemoStack | None = None,
        make_stack: StackFactory = default_stack,
    ) -> None:
        super().__init__()
        self._window = window
        self._dialog: SignInDialog = window.sign_in_dialog
        self._settings = settings
        self._notices = notices
        self._tasks = TaskOwner("session")
        self._make_stack = make_stack
        # A stack given from outside (tests) is used but never stopped here.
        self._stack = demo_stack
        self._owns_stack = False
        self.session: Session | None = None

        self._dialog.sign_in_requested.connect(self._on_dialog_sign_in_requested)
        self._dialog.token_sign_in_requested.connect(
            self._on_dialog_token_sign_in_requested
        )
        self._dialog.demo_requested.connect(self.use_demo)
        window.sign_in_requested.connect(self.ask_to_sign_in)
        window.demo_requested.connect(self.use_demo)
        self._demo_server_exited.connect(
            self._on_demo_server_exited, Qt.ConnectionType.QueuedConnection
        )

    @property
    def demo_stack(self) -> DemoStack | None:
        """The local demo servers, once started (or as given)."""
        return self._stack

    @property
    def busy(self) -> bool:
        return self._tasks.is_running(SIGN_IN_KEY)

    # -- starting points ------------------------------------------------------

    def ask_to_sign_in(self, url: str = "", user: str = "") -> None:
        """Open the sign-in dialog with the given or remembered gateway.

        A password written into the address (--gateway) is not shown, and
        the last attempt's error and password are gone.
        """
        # Else what was typed last in this run: a failed attempt is retried.
        dialog = self._dialog
        address = url or self._settings.gateway_url or dialog.url_edit.text()
        user = user or self._settings.username or dialog.user_edit.text()
        dialog.set_values(without_user_info(address), user)
        self._dialog.open()

    def use_demo(self) -> None:
        """Start the local demo gateway if needed, and sign in to it."""
        if self._stack is not None and not _is_up(self._stack):
            log.debug("the demo is already starting")
            return
        self._tasks.start(self._sign_in_to_demo(), key=SIGN_IN_KEY)

    def sign_in(self, url: str, user: str, password: str) -> None:
        self._tasks.start(self._sign_in(url, user, password), key=SIGN_IN_KEY)

    def sign_in_with_token(self, url: str, token: str) -> None:
        self._tasks.start(self._sign_in(url, "", "", token=token), key=SIGN_IN_KEY)

    # -- closing --------------------------------------------------------------

    async def aclose(self) -> None:
        """Cancel sign-ins under way and close the session's connection."""
        await self._tasks.aclose()
        await self._end_session()

    def stop_demo(self) -> None:
        """Stop the demo servers if this controller started them (blocking)."""
        if self._stack is not None and self._owns_stack:
            self._stack.stop()

    # -- the work -------------------------------------------------------------

    async def _sign_in_to_demo(self) -> None:
        if self._stack is not None and self._owns_stack and _has_ended(self._stack):
            log.warning("the demo servers had stopped; starting them again")
            self._stack.stop()
            self._stack = None

        if self._stack is None:
            self._busy("Starting the demo gateway…")
            # Kept before it is up, so that quitting meanwhile still stops it.
            self._stack, self._owns_stack = self._make_stack(), True
            self._stack.on_unexpected_exit = self._demo_server_exited.emit
            try:
                await asyncio.to_thread(self._stack.start)
            except PegasusError as exc:
                self._stack = None
                self._failed("Could not start the demo gateway", str(exc))
                return

        stack = self._stack
        await self._sign_in(
            stack.gateway_url, stack.username, stack.password, demo=True
        )

    async def _sign_in(
        self,
        url: str,
        user: str,
        password: str,
        *,
        token: str = "",
        demo: bool = False,
    ) -> None:
        # A password typed into the address is never shown, not even for
        # the moment before Gateway() refuses the address.
        self._busy(f"Signing in to {without_user_info(url.strip())}…")
        try:
            gateway = Gateway(url.strip(), token=token or None)
        except PegasusError as exc:
            self._failed("Cannot sign in", str(exc))
            return

        try:
            if not token:
                await gateway.login(user, password)
            user_info = await gateway.user()
        except AuthError as exc:
            await gateway.aclose()
            # A refused token is worded by the core, with the call and what
            # to do; with a password, any 401 here is a refused sign-in.
            reason = str(exc) if token else PASSWORD_REFUSED
            self._failed(f"Could not sign in to {gateway.site_url}", reason)
            return
        except PegasusError as exc:
            await gateway.aclose()
            reason = str(exc)
            # "could not reach the gateway at URL: ..." names it already.
            where = "" if gateway.site_url in reason else f" to {gateway.site_url}"
            self._failed(f"Could not sign in{where}", reason)
            return
        except BaseException:
            await gateway.aclose()
            raise

        username = user or str(user_info.get("username") or "token user")
        demo = demo or self._is_demo_address(gateway.site_url)
        await self._start_session(
            Session(gateway=gateway, username=username, demo=demo, user=user_info)
        )

    def _is_demo_address(self, site_url: str) -> bool:
        """Whether site_url is the running local demo's (typed by hand)."""
        stack = self._stack
        if stack is None or not _is_up(stack):
            return False
        return normalize_site_url(stack.gateway_url) == site_url

    async def _start_session(self, session: Session) -> None:
        await self._end_session()
        self.session = session
        self._remember(session)

        self._dialog.clear_secrets()
        self._dialog.set_busy("")
        self._dialog.accept()
        self._notices.clear()
        self._notices.online(session.label)
        # Quitting stops a demo this app started, and the jobs on it.
        self._window.set_local_demo(session.demo and self._owns_stack)
        log.info("signed in: %s", session.label)
        self.signed_in.emit(session)

    async def _end_session(self) -> None:
        session, self.session = self.session, None
        if session is None:
            return
        await session.gateway.aclose()
        self._notices.connection("offline", "Not signed in")
        self._window.set_local_demo(False)
        self.signed_out.emit()

    def _remember(self, session: Session) -> None:
        if session.demo:
            self._settings.mode = MODE_DEMO
        else:
            self._settings.mode = MODE_GATEWAY
            self._settings.gateway_url = session.gateway.site_url
            self._settings.username = session.username
        self._settings.sync()

    def _busy(self, message: str) -> None:
        self._dialog.set_busy(message)
        self._notices.connection("connecting", message)
        if not self._dialog.isVisible():
            self._notices.info(message)

    def _failed(self, doing: str, reason: str) -> None:
        text = sentence(f"{doing}: {reason}")
        log.warning("%s", text)
        if self.session is None:
            self._notices.connection("error", "Not signed in")
        else:
            self._notices.online(self.session.label)

        # The error is told where the user can act on it: in the dialog.
        if not self._dialog.isVisible():
            self._notices.clear()
            self.ask_to_sign_in()
        self._dialog.show_error(text)

    def _on_demo_server_exited(self, name: str, code: int) -> None:
        session = self.session
        if session is None or not session.demo:
            # Not in use: the next "Use the demo" starts it again anyway.
            log.info("the unused demo %s stopped (exit code %s)", name, code)
            return
        shown = DEMO_SERVER_NAMES.get(name, name)
        self._notices.error(DEMO_STOPPED.format(name=shown, code=code))
        self._notices.connection("error", f"{session.label} (the demo stopped)")

    # -- what the dialog asks -------------------------------------------------

    def _on_dialog_sign_in_requested(self, url: str, user: str, password: str) -> None:
        self.sign_in(url, user, password)

    def _on_dialog_token_sign_in_requested(self, url: str, token: str) -> None:
        self.sign_in_with_token(url, token)
