"""The app's remembered choices, kept in an INI file in the data folder.

Every setting is declared once below with its type and default, so nothing
else reads QSettings. Secrets are never stored here: no password, no token
(a session's token goes to the system keyring, see app.secrets).
The file lives in app.paths.data_dir(), which tests point at a temporary
folder; `Settings.open(path)` takes any other file.
"""

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

from app.paths import data_dir, downloads_dir

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.ini"

MODE_DEMO = "demo"
MODE_GATEWAY = "gateway"

T = TypeVar("T")
_SECRET_WORDS = {"password", "token", "secret"}


@dataclass(frozen=True)
class _Setting(Generic[T]):
    """One key of the settings file, read and written as type `kind`."""

    key: str
    kind: type
    default: T

    def __set_name__(self, owner: type, name: str) -> None:
        # The rule "no secrets in settings" is checked where settings are made.
        if _SECRET_WORDS.intersection(name.split("_")):
            raise TypeError(f"the setting {name!r} would store a secret")

    def __get__(self, settings: "Settings | None", owner: type) -> Any:
        if settings is None:
            return self
        return settings._read(self)

    def __set__(self, settings: "Settings", value: T) -> None:
        settings._write(self, value)


class Settings:
    """Typed access to the settings file; assign an attribute to save it."""

    mode = _Setting[str]("session/mode", str, "")
    gateway_url = _Setting[str]("session/gateway_url", str, "")
    username = _Setting[str]("session/username", str, "")
    chosen_download_dir = _Setting[str]("files/download_dir", str, "")
    window_geometry = _Setting[bytes]("window/geometry", bytes, b"")
    window_state = _Setting[bytes]("window/state", bytes, b"")
    catalog_split = _Setting[bytes]("window/catalog_split", bytes, b"")
    jobs_split = _Setting[bytes]("window/jobs_split", bytes, b"")

    def __init__(self, store: QSettings) -> None:
        self._store = store

    @classmethod
    def open(cls, path: Path | None = None) -> "Settings":
        """The settings in path, by default settings.ini in the data folder."""
        path = path or data_dir() / SETTINGS_FILE
        log.debug("settings file %s", path)
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    @property
    def path(self) -> Path:
        return Path(self._store.fileName())

    @property
    def first_run(self) -> bool:
        """True until the user has signed in somewhere once."""
        return not self.mode

    @property
    def download_dir(self) -> Path:
        """Where downloads go: the chosen folder, else the user's Downloads."""
        chosen = self.chosen_download_dir
        return Path(chosen) if chosen else downloads_dir()

    @download_dir.setter
    def download_dir(self, folder: Path) -> None:
        self.chosen_download_dir = str(folder)

    def sync(self) -> None:
        """Write pending changes to the file now."""
        self._store.sync()

    def _read(self, setting: _Setting[Any]) -> Any:
        raw = self._store.value(setting.key, None)
        if raw is None:
            return setting.default
        if setting.kind is bytes:
            return bytes(raw.data()) if isinstance(raw, QByteArray) else b""
        if setting.kind is bool:
            return str(raw).lower() in ("true", "1")
        try:
            return setting.kind(raw)
        except (TypeError, ValueError):
            log.warning("setting %s holds %r; using the default", setting.key, raw)
            return setting.default

    def _write(self, setting: _Setting[Any], value: Any) -> None:
        if setting.kind is bytes:
            self._store.setValue(setting.key, QByteArray(bytes(value)))
        else:
            self._store.setValue(setting.key, setting.kind(value))
