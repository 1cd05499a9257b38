"""Signing in: to a gateway with a password or a token, or to the local demo.

The controller owns the signed-in Gateway (one httpx client, closed when the
session ends) and, when it started it, the local demo stack. The demo takes
a second or two to start, so it starts in a worker thread while the window
says so; if one of its servers dies later, the window says so and offers
the restart. The last gateway and user are remembered in the settings, the
session's token in the system keyring (app.secrets), so that the next start
signs in without asking; the password never is kept, nor the demo's own
passing address, and the demo's account needs no keyring.

When the gateway stops accepting the token mid-session, the calls that got
the 401 wait while the sign-in dialog asks, once, to sign in again; signing
in again as the same user on the same gateway lets them go on. While calls
are being retried, the status bar says the app is reconnecting.
"""

import asyncio
import logging
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal

from app.addresses import normalize_site_url, without_user_info
from app.controllers.connection import ConnectionStatus, host_of
from app.controllers.notices import Notices, sentence
from app.controllers.renewal import Renewal, renew_demo
from app.controllers.tasks import TaskOwner
from app.errors import AuthError, PegasusError
from app.gateway import Gateway
from app.local_stack import DemoStack, demo_folder
from app.secrets import TokenStore
from app.settings import MODE_DEMO, MODE_GATEWAY, Settings

if TYPE_CHECKING:
    from widgets.main_window import MainWindow
    from widgets.sign_in import SignInDialog

log = logging.getLogger(__name__)

SIGN_IN_KEY = "sign-in"
# What a 401 after a password was taken means while signing in: the core's
# words for it ("no longer accepts your sign-in") fit a session that ended.
PASSWORD_REFUSED = "the gateway refused the user name or password"
# A kept token the gateway no longer takes (it expired while the app was closed).
SAVED_SIGN_IN_REFUSED = "the gateway no longer accepts the saved sign-in"
SESSION_EXPIRED = (
    "Your session on {where} has expired. Sign in again to go on: your reports "
    "keep running on the gateway."
)
DEMO_STOPPED = (
    "The demo {name} stopped (exit code {code}). File → Use the demo restarts it."
)
# The demo's servers as the window calls them.
DEMO_SERVER_NAMES = {"engine": "engine", "sandbox": "gateway"}
StackFactory = Callable[[], DemoStack]
T = TypeVar("T")


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
    """Signs in, again, and out.

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
        tokens: TokenStore | None = None,
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
        self._tokens = tokens or TokenStore()
        # Keyring calls under way in worker threads (see _keyring).
        self._keyring_work: set[asyncio.Future[Any]] = set()
        self._renewal = Renewal()
        self._connection = ConnectionStatus(notices)
        self.session: Session | None = None

        self._dialog.sign_in_requested.connect(self._on_dialog_sign_in_requested)
        self._dialog.token_sign_in_requested.connect(
            self._on_dialog_token_sign_in_requested
        )
        self._dialog.demo_requested.connect(self.use_demo)
        self._dialog.rejected.connect(self._on_dialog_rejected)
        window.sign_in_requested.connect(self.ask_to_sign_in)
        window.sign_out_requested.connect(self.sign_out)
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

    @property
    def asking_again(self) -> bool:
        """Whether calls wait for the user to sign in again."""
        return self._renewal.pending

    # -- starting points ------------------------------------------------------

    def start(self, url: str = "", user: str = "") -> None:
        """Sign in as last time, with the kept token; else open the dialog.

        A gateway or user given (on the command line) other than the
        remembered ones opens the dialog for them instead.
        """
        site, known_user = self._settings.gateway_url, self._settings.username
        asked_for_another = (url and _site_or_none(url) != site) or (
            user and user != known_user
        )
        if asked_for_another or not (site and known_user):
            self.ask_to_sign_in(url, user)
            return
        self._tasks.start(self._resume(site, known_user), key=SIGN_IN_KEY)

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
        """Sign in with a password; none given: with the account's kept
        token if there is one (after a start that could not reach it)."""
        work = self._sign_in(url, user, password) if password else self._kept(url, user)
        self._tasks.start(work, key=SIGN_IN_KEY)

    def sign_in_with_token(self, url: str, token: str) -> None:
        self._tasks.start(self._sign_in(url, "", "", token=token), key=SIGN_IN_KEY)

    def sign_out(self) -> None:
        """End the session and forget its kept token."""
        session = self.session
        if session is None:
            return
        self._tasks.start(self._sign_out(session), key=SIGN_IN_KEY)

    # -- closing --------------------------------------------------------------

    async def aclose(self) -> None:
        """Cancel sign-ins under way and close the session's connection."""
        await self._tasks.aclose()
        # A keyring call cannot be cancelled, and its thread reports to this
        # loop when done: it ends before the loop does.
        if self._keyring_work:
            await asyncio.wait(set(self._keyring_work))
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
            gateway = self._new_gateway(url.strip(), token)
        except PegasusError as exc:
            self._failed("Cannot sign in", str(exc))
            return

        try:
            if not token:
                await gateway.login(user, password)
            user_info = await gateway.user()
        except AuthError as exc:
            await _drop(gateway)
            # A refused token is worded by the core, with the call and what
            # to do; with a password, any 401 here is a refused sign-in.
            reason = str(exc) if token else PASSWORD_REFUSED
            self._failed(f"Could not sign in to {gateway.site_url}", reason)
            return
        except PegasusError as exc:
            await _drop(gateway)
            self._failed_to_reach(gateway, exc)
            return
        except BaseException:
            await _drop(gateway)
            raise

        username = user or str(user_info.get("username") or "token user")
        demo = demo or self._is_demo_address(gateway.site_url)
        new = Session(gateway=gateway, username=username, demo=demo, user=user_info)
        if self._renews(new):
            await self._go_on_with(new)
        else:
            await self._start_session(new, keep_token=not demo)

    async def _resume(self, site_url: str, user: str) -> None:
        """Open the last session with its kept token, without asking."""
        token = await self._keyring(self._tokens.load, site_url, user)
        if not token:
            log.info("no kept sign-in for %s on %s; asking", user, site_url)
            self.ask_to_sign_in(site_url, user)
            return
        await self._sign_in_kept(site_url, user, token)

    async def _kept(self, url: str, user: str) -> None:
        """The kept token of url's user if any, else the empty password."""
        site = _site_or_none(url)
        token = None
        if site is not None and user:
            token = await self._keyring(self._tokens.load, site, user)
        if site is not None and token:
            await self._sign_in_kept(site, user, token)
        else:
            await self._sign_in(url, user, "")

    async def _sign_in_kept(self, site_url: str, user: str, token: str) -> None:
        self._busy(f"Signing in to {site_url}…")
        try:
            gateway = self._new_gateway(site_url, token)
        except PegasusError as exc:
            self._failed("Cannot sign in", str(exc))
            return

        try:
            user_info = await gateway.user()
        except AuthError:
            await _drop(gateway)
            # Stale: kept no longer, and the dialog asks for the password.
            await self._keyring(self._tokens.remove, site_url, user)
            self._failed(f"Could not sign in to {site_url}", SAVED_SIGN_IN_REFUSED)
            return
        except PegasusError as exc:
            # Kept: the gateway may well take it once it can be reached.
            await _drop(gateway)
            self._failed_to_reach(gateway, exc)
            return
        except BaseException:
            await _drop(gateway)
            raise

        log.info("signed in again with the kept sign-in of %s", user)
        session = Session(gateway=gateway, username=user, user=user_info)
        await self._start_session(session, keep_token=False)

    async def _sign_out(self, session: Session) -> None:
        # TODO(session): the token is not revoked on the gateway (the client
        # has no call for /api/logout); it stays valid until it expires.
        if not session.demo:
            site, user = session.gateway.site_url, session.username
            await self._keyring(self._tokens.remove, site, user)
        await self._end_session()
        log.info("signed out: %s", session.label)
        self._notices.status(f"Signed out of {host_of(session.gateway.site_url)}")

    async def _keyring(self, call: Callable[..., T], *args: str) -> T:
        """call(*args) in a worker thread: a keyring may block (to unlock),
        and its first call spends up to a second finding the backend."""
        work = asyncio.ensure_future(asyncio.to_thread(call, *args))
        self._keyring_work.add(work)
        work.add_done_callback(self._keyring_work.discard)
        return await asyncio.shield(work)

    def _new_gateway(self, url: str, token: str) -> Gateway:
        """A client for url that tells this controller of its reconnecting."""
        gateway = Gateway(url, token=token or None)
        gateway.on_connection = lambda state, reason: self._on_gateway_connection(
            gateway, state, reason
        )
        return gateway

    def _is_demo_address(self, site_url: str) -> bool:
        """Whether site_url is the running local demo's (typed by hand)."""
        stack = self._stack
        if stack is None or not _is_up(stack):
            return False
        return normalize_site_url(stack.gateway_url) == site_url

    async def _start_session(self, session: Session, *, keep_token: bool) -> None:
        old = self.session
        await self._end_session()
        self.session = session
        self._renewal.reset()
        self._connection.reconnecting = False
        self._remember(session)

        self._dialog.clear_secrets()
        self._dialog.set_busy("")
        self._dialog.accept()
        self._notices.clear()
        self._notices.online(session.label)
        # Quitting stops a demo this app started, and the jobs on it.
        self._window.set_local_demo(session.demo and self._owns_stack)
        self._window.set_signed_in(True)
        session.gateway.reauthenticate = self._reauthenticate
        log.info("signed in: %s", session.label)
        self.signed_in.emit(session)

        # Only the last account is signed in again at start: another's token
        # would stay in the keyring for nothing.
        if old is not None and not old.demo and _identity(old) != _identity(session):
            await self._keyring(self._tokens.remove, *_identity(old))
        if keep_token:
            await self._keep_token(session)

    async def _keep_token(self, session: Session) -> None:
        token = session.gateway.token
        if not token:
            return
        site, user = _identity(session)
        await self._keyring(self._tokens.save, site, user, token)
        notice = self._tokens.take_notice()
        if notice is not None:
            self._notices.info(notice)

    async def _end_session(self) -> None:
        session, self.session = self.session, None
        if session is None:
            return
        await _drop(session.gateway)
        self._notices.connection("offline", "Not signed in")
        self._window.set_local_demo(False)
        self._window.set_signed_in(False)
        self.signed_out.emit()
        # After the jobs stopped following: the calls waiting fail quietly.
        if self._renewal.pending:
            self._dialog.set_reason("")
        self._renewal.settle(False)

    def _remember(self, session: Session) -> None:
        if session.demo:
            self._settings.mode = MODE_DEMO
        else:
            self._settings.mode = MODE_GATEWAY
            self._settings.gateway_url = session.gateway.site_url
            self._settings.username = session.username
        self._settings.sync()

    # -- signing in again -----------------------------------------------------

    async def _reauthenticate(self) -> bool:
        """The gateway client's hook on a 401: True once signed in again."""
        session = self.session
        if session is None:
            return False
        if session.demo and self._stack is not None and _is_up(self._stack):
            # The demo's password is known: no need to ask anybody.
            stack = self._stack
            return await renew_demo(session.gateway, stack.username, stack.password)
        return await self._renewal.wait(self._ask_to_sign_in_again)

    def _ask_to_sign_in_again(self) -> None:
        session = self.session
        if session is None:
            return
        site = session.gateway.site_url
        log.info("the session of %s expired; asking to sign in again", session.label)
        self._notices.connection("error", f"{session.label} (sign in again)")
        self.ask_to_sign_in(site, session.username)
        self._dialog.set_reason(SESSION_EXPIRED.format(where=host_of(site)))

    def _renews(self, new: Session) -> bool:
        """Whether new is the expired session's account signing in again."""
        old = self.session
        return (
            self._renewal.pending
            and old is not None
            and _identity(old) == _identity(new)
        )

    async def _go_on_with(self, new: Session) -> None:
        """The session's client takes the new token; the waiting calls go on."""
        session = self.session
        assert session is not None
        session.gateway.token = new.gateway.token
        await _drop(new.gateway)

        self._dialog.clear_secrets()
        self._dialog.set_busy("")
        self._dialog.accept()
        self._notices.online(session.label)
        log.info("signed in again: %s", session.label)
        self._renewal.settle(True)
        self._notices.status("Signed in again; your reports go on")
        if not session.demo:
            await self._keep_token(session)

    def _on_dialog_rejected(self) -> None:
        if not self._renewal.pending:
            return
        session = self.session
        log.info("signing in again was cancelled; the waiting calls fail")
        if session is not None:
            self._notices.connection("error", f"{session.label} (sign in again)")
        self._renewal.settle(False)

    # -- what the window shows ------------------------------------------------

    def _on_gateway_connection(self, gateway: Gateway, state: str, reason: str) -> None:
        """A client's calls are retried ("reconnecting"), or work again."""
        session = self.session
        ours = session is not None and session.gateway is gateway
        if not ours and not self.busy:
            return  # a client signing in no more, or one already replaced
        # While signing in, the sign-in says what comes next.
        label = session.label if ours and session and not self.asking_again else ""
        self._connection.changed(gateway.site_url, state, reason, label)

    def _busy(self, message: str) -> None:
        self._dialog.set_busy(message)
        self._notices.connection("connecting", message)
        if not self._dialog.isVisible():
            self._notices.info(message)

    def _failed_to_reach(self, gateway: Gateway, error: PegasusError) -> None:
        reason = str(error)
        # "could not reach the gateway at URL: ..." names it already.
        where = "" if gateway.site_url in reason else f" to {gateway.site_url}"
        self._failed(f"Could not sign in{where}", reason)

    def _failed(self, doing: str, reason: str) -> None:
        text = sentence(f"{doing}: {reason}")
        log.warning("%s", text)
        if self.session is None:
            self._notices.connection("error", "Not signed in")
        elif self._renewal.pending:
            self._notices.connection("error", f"{self.session.label} (sign in again)")
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


async def _drop(gateway: Gateway) -> None:
    """Close a client, and let go of this controller: its hooks refer to it,
    and a cycle left to Python's collector would free the Qt object at any
    later moment (a crash in the middle of another widget's work)."""
    gateway.on_connection = None
    gateway.reauthenticate = None
    await gateway.aclose()


def _identity(session: Session) -> tuple[str, str]:
    """The account of a session: (site URL, user name)."""
    return (session.gateway.site_url, session.username)


def _site_or_none(url: str) -> str | None:
    """url as the settings keep a site URL; None if it is not one."""
    try:
        return normalize_site_url(url)
    except PegasusError:
        return None
