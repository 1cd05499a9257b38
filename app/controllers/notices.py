"""How the controllers tell the user what happened, in plain words.

Failures go to the window's banner as one sentence naming what was being
done and why it failed; a lost connection or a refused session also shows
in the status bar. Nothing here shows a traceback: bugs go to the crash
handler instead.
"""

import logging
from typing import TYPE_CHECKING

from app.errors import AuthError, NetworkError, PegasusError

if TYPE_CHECKING:
    from widgets.main_window import MainWindow

log = logging.getLogger(__name__)

# What a refused session means to a fleet manager once they declined to sign
# in again when asked: the details (which call, the status) are in the log.
SESSION_REFUSED = (
    "the gateway no longer accepts your sign-in; sign in again (File → Sign in…)"
)


def sentence(text: str) -> str:
    """text with a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."


def plain_reason(error: PegasusError) -> str:
    """Why something failed, in the words a fleet manager needs."""
    if isinstance(error, AuthError):
        return SESSION_REFUSED
    return str(error)


# How long a passing line stays in the status bar.
STATUS_MS = 8000


class Notices:
    """The window's banner, status bar and connection label, for controllers."""

    def __init__(self, window: "MainWindow") -> None:
        self._window = window
        self.session_label = "Not signed in"

    def failure(self, doing: str, error: PegasusError) -> str:
        """Show "<doing>: <why>" as an error; returns the text shown."""
        text = sentence(f"{doing}: {plain_reason(error)}")
        log.warning("%s (%s)", text, error)
        self._window.show_error(text)
        if isinstance(error, NetworkError):
            self.connection("error", f"{self.session_label} (not reachable)")
        elif isinstance(error, AuthError):
            self.connection("error", f"{self.session_label} (sign in again)")
        return text

    def error(self, text: str) -> None:
        self._window.show_error(sentence(text))

    def success(self, text: str) -> None:
        # No full stop added: these often end with a path to copy.
        self._window.show_info(text, "success")

    def warning(self, text: str) -> None:
        # No full stop added either: these too may end with a path.
        self._window.show_info(text, "warning")

    def info(self, text: str) -> None:
        self._window.show_info(sentence(text), "info")

    def status(self, text: str, *, lasting: bool = False) -> None:
        """A line in the status bar: for a few seconds, or until the next."""
        self._window.show_status(sentence(text), 0 if lasting else STATUS_MS)

    def clear(self) -> None:
        self._window.banner.clear()

    def connection(self, state: str, text: str) -> None:
        self._window.set_connection(state, text)

    def online(self, label: str) -> None:
        self.session_label = label
        self.connection("online", label)
