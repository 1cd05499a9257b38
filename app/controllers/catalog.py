"""Loading the catalog of the signed-in gateway, and its icons.

When a session starts, the gateway's engines and their manifests are
fetched in a task; the catalog view shows "Loading…" until then, and the
failure in plain words if it fails. Icons follow in the background, a few
at a time and at most MAX_ICONS per catalog, in the order of the reports;
the reports beyond keep their category's icon.
"""

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.catalog import Catalog, load_catalog
from app.controllers.icons import IconFetcher, gateway_is_local
from app.controllers.notices import Notices, sentence
from app.controllers.session import Session
from app.controllers.tasks import TaskOwner
from app.errors import PegasusError
from app.plurals import counted

if TYPE_CHECKING:
    from widgets.catalog import CatalogView

log = logging.getLogger(__name__)

LOAD_KEY = "load"
# However many reports a manifest lists, no more icons are fetched than a
# catalog can show at a glance.
MAX_ICONS = 200


class CatalogController(QObject):
    """Fills the catalog view for each session.

    Signals:
        catalog_loaded(Catalog): the catalog is shown.
        icon_loaded(str, bytes): a report icon arrived (url, bytes).
    """

    catalog_loaded = Signal(object)
    icon_loaded = Signal(str, bytes)

    def __init__(
        self, view: "CatalogView", notices: Notices, icons: IconFetcher
    ) -> None:
        super().__init__()
        self._view = view
        self._notices = notices
        self._icons = icons
        self._tasks = TaskOwner("catalog")
        self._session: Session | None = None
        self._icon_keys: list[str] = []
        self.catalog: Catalog | None = None

    def load(self, session: Session) -> None:
        """Fetch and show the catalog of session's gateway."""
        self._session = session
        self.catalog = None
        self._cancel_icons()
        self._view.show_message(f"Loading the reports of {session.label}…")
        self._tasks.start(self._load(session), key=LOAD_KEY)

    @property
    def icons_loading(self) -> int:
        """How many report icons are still being fetched."""
        return sum(self._tasks.is_running(key) for key in self._icon_keys)

    def reload(self) -> None:
        if self._session is not None:
            self.load(self._session)

    def clear(self) -> None:
        self._tasks.cancel(LOAD_KEY)
        self._cancel_icons()
        self._session = self.catalog = None
        self._view.show_message("Not signed in.")

    async def aclose(self) -> None:
        await self._tasks.aclose()
        await self._icons.aclose()

    async def _load(self, session: Session) -> None:
        try:
            catalog = await load_catalog(session.gateway)
        except PegasusError as exc:
            text = self._notices.failure("Could not load the reports", exc)
            self._view.show_message(text)
            return

        self.catalog = catalog
        self._view.show_catalog(catalog.groups(), catalog.errors)
        if catalog.errors:
            self._notices.error(
                sentence(
                    f"{len(catalog.errors)} of "
                    f"{counted(len(catalog.engines), 'engine')} could not be "
                    "loaded; their reports are missing (see the catalog)"
                )
            )
        self.catalog_loaded.emit(catalog)
        self._load_icons(catalog, gateway_is_local(session.gateway.site_url))

    def _load_icons(self, catalog: Catalog, local_gateway: bool) -> None:
        urls = list(dict.fromkeys(s.icon for s in catalog.scripts if s.icon))
        if len(urls) > MAX_ICONS:
            log.info(
                "the catalog names %d icons; only the first %d are fetched",
                len(urls),
                MAX_ICONS,
            )
        # The fetcher has a few under way at a time; the rest wait their turn.
        for url in urls[:MAX_ICONS]:
            key = f"icon:{url}"
            self._icon_keys.append(key)
            self._tasks.start(self._load_icon(url, local_gateway), key=key)

    def _cancel_icons(self) -> None:
        for key in self._icon_keys:
            self._tasks.cancel(key)
        self._icon_keys.clear()

    async def _load_icon(self, url: str, local_gateway: bool) -> None:
        data = await self._icons.fetch(url, local_gateway=local_gateway)
        if data and self._view.set_report_icon(url, data):
            self.icon_loaded.emit(url, data)
