"""Sign-in tokens kept between runs, in the system keyring.

A token is stored under the service app.APP_ID and a key made of the
gateway's site URL and the user name, so each account has its own entry.
Only tokens are kept: a password is used once to sign in, then forgotten.

Without a keyring that keeps secrets safely the token stays in this
process's memory only, and the user is told once that they will be asked
to sign in again after a restart. That is the case on a headless Linux
machine (keyring then offers a backend that fails every call), with the
backend that silently drops everything, with one that would write the
token to a plain file (keyring ranks those below its recommended ones), and
after any error of the keyring. Nothing here ever writes to disk itself.

keyring is imported on first use: finding its backends reads package
metadata, which the window's start does not need. Its calls may block (a
desktop keyring can ask to be unlocked): callers on the event loop make
them in a worker thread, so the store is safe to use from several threads.
"""

import logging
import threading
from typing import TYPE_CHECKING

from app import APP_ID

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

MEMORY_ONLY_NOTICE = (
    "No system keyring is available, so your sign-in is kept in memory only: "
    "you will be asked to sign in again after a restart"
)
# keyring's own line between backends it recommends and the others.
RECOMMENDED_PRIORITY = 1


def account_key(site_url: str, user: str) -> str:
    """The key of one account's token: "<site URL> <user>".

    A normalized site URL holds no space, so the two parts never blur.
    """
    return f"{site_url} {user}"


class TokenStore:
    """Keeps, finds and forgets sign-in tokens, one per gateway account.

    backend: the keyring backend to use; None uses the one keyring chooses
    for this system (keyring.get_keyring(), which keyring.set_keyring,
    PYTHON_KEYRING_BACKEND and keyring's config file can change).
    """

    def __init__(
        self, service: str = APP_ID, *, backend: "KeyringBackend | None" = None
    ) -> None:
        self.service = service
        self._lock = threading.Lock()
        # Tokens of this run only, when there is no keyring to keep them.
        self._memory: dict[str, str] = {}
        self._memory_only = False
        self._notice_due = False
        self._notice_given = False
        self._backend: KeyringBackend | None = None
        if backend is not None:
            self._take(backend)

    @property
    def memory_only(self) -> bool:
        """True once tokens are known to be kept in memory only."""
        return self._memory_only

    def load(self, site_url: str, user: str) -> str | None:
        """The token kept for this account, or None."""
        key = account_key(site_url, user)
        backend = self._usable_backend()
        if backend is None:
            with self._lock:
                return self._memory.get(key)

        try:
            token = backend.get_password(self.service, key)
        except _keyring_errors() as exc:
            self._fall_back(f"the keyring could not be read ({_cause(exc)})")
            with self._lock:
                return self._memory.get(key)
        log.debug("token for %s %s", key, "found" if token else "not found")
        return token or None

    def save(self, site_url: str, user: str, token: str) -> bool:
        """Keep the token; True if in the keyring, False if in memory only."""
        key = account_key(site_url, user)
        backend = self._usable_backend()
        if backend is not None:
            try:
                backend.set_password(self.service, key, token)
            except _keyring_errors() as exc:
                self._fall_back(f"the keyring refused it ({_cause(exc)})")
            else:
                log.info("sign-in of %s kept in the system keyring", key)
                return True

        with self._lock:
            self._memory[key] = token
            self._notice_due = not self._notice_given
        log.debug("sign-in of %s kept in memory", key)
        return False

    def remove(self, site_url: str, user: str) -> None:
        """Forget the account's token, wherever it was kept."""
        key = account_key(site_url, user)
        with self._lock:
            self._memory.pop(key, None)
        backend = self._usable_backend()
        if backend is None:
            return

        from keyring.errors import PasswordDeleteError

        try:
            backend.delete_password(self.service, key)
        except PasswordDeleteError:
            log.debug("no token of %s in the keyring", key)
        except _keyring_errors() as exc:
            # The entry may still be there: next start tries it, the gateway
            # refuses it, and removing it is tried again then.
            log.warning("could not remove the token of %s: %s", key, _cause(exc))
        else:
            log.info("sign-in of %s removed from the system keyring", key)

    def take_notice(self) -> str | None:
        """The memory-only notice, the first time a token went to memory."""
        with self._lock:
            if not self._notice_due:
                return None
            self._notice_due, self._notice_given = False, True
        return MEMORY_ONLY_NOTICE

    # -- the backend --------------------------------------------------------

    def _usable_backend(self) -> "KeyringBackend | None":
        """The keyring backend, or None when tokens are kept in memory."""
        if self._memory_only:
            return None
        if self._backend is None:
            import keyring

            self._take(keyring.get_keyring())
        return self._backend

    def _take(self, backend: "KeyringBackend") -> None:
        """Use backend if it keeps tokens safely; else fall back to memory.

        Judged once: a chainer looks for its backends each time it is asked.
        """
        problem = unusable_reason(backend)
        if problem is None:
            self._backend = backend
        else:
            self._fall_back(problem)

    def _fall_back(self, reason: str) -> None:
        """From now on, keep tokens in memory; say why once, in the log."""
        with self._lock:
            if self._memory_only:
                return
            self._memory_only = True
        log.info(
            "%s: sign-in tokens are kept in memory only until the app quits",
            reason,
        )


def unusable_reason(backend: "KeyringBackend") -> str | None:
    """Why backend cannot keep a token safely; None when it can."""
    from keyring.backends import chainer

    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, chainer.ChainerBackend):
        # The chainer writes with the first of its backends, if any.
        chained = list(backend.backends)
        if not chained:
            return "no system keyring was found (keyring has no backend here)"
        return unusable_reason(chained[0])

    try:
        priority = float(backend.priority)
    except _keyring_errors() as exc:
        return f"the keyring {name} cannot be used ({_cause(exc)})"
    if priority < RECOMMENDED_PRIORITY:
        # keyring's fail and null backends, and files of keyrings.alt.
        return f"no safe system keyring was found (keyring offers {name})"
    return None


def _keyring_errors() -> tuple[type[Exception], ...]:
    """What a keyring backend raises: keyring's errors, and what its
    platform layers let through (D-Bus, the file system, a locked store)."""
    from keyring.errors import KeyringError

    return (KeyringError, RuntimeError, OSError, ValueError)


def _cause(exc: Exception) -> str:
    """A short cause for the log: never the token, which no call is given
    back in an error; the message is cut, as some are long paragraphs."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
