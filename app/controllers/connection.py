"""What the status bar says while a gateway's calls are being retried.

The gateway client tells its listener ("reconnecting", reason) when calls
start failing and are tried again, and ("connected", "") once the gateway
answers again. The window then shows "Reconnecting to <gateway>…
(<reason>)" in place of the session, and the session again once it is
back; each change is logged once, however many calls are retried.
"""

import logging
import urllib.parse

from app.controllers.notices import Notices

log = logging.getLogger(__name__)

# TODO(session): only the status bar says the app is reconnecting; the jobs
# panel's header, where a person watching a report looks, does not yet.

RECONNECTING = "reconnecting"
CONNECTED = "connected"


def host_of(site_url: str) -> str:
    """ "gateway.example.com:8443" of a site URL, as the window names it."""
    return urllib.parse.urlsplit(site_url).netloc or site_url


class ConnectionStatus:
    """Shows one gateway's reconnecting, and its return, in the status bar."""

    def __init__(self, notices: Notices) -> None:
        self._notices = notices
        self.reconnecting = False

    def changed(self, site_url: str, state: str, reason: str, label: str) -> None:
        """A client's news; label: what the status bar says once connected
        ("" leaves it to whoever says what comes next)."""
        if state == RECONNECTING:
            text = f"Reconnecting to {host_of(site_url)}… ({reason})"
            if not self.reconnecting:
                log.info("%s", text)
            self.reconnecting = True
            self._notices.connection("connecting", text)
        elif state == CONNECTED and self.reconnecting:
            self.reconnecting = False
            log.info("connected to %s again", site_url)
            if label:
                self._notices.online(label)
