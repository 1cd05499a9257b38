"""Where the app keeps its data and finds its resources.

Tests and the demo point the data folder elsewhere with the environment
variable PEGASUS_REPORTS_DATA_DIR, so nothing here is global state to patch.
"""

import os
import sys
from pathlib import Path

import platformdirs

from app import APP_ID

DATA_DIR_ENV = "PEGASUS_REPORTS_DATA_DIR"


def data_dir() -> Path:
    """The user's data folder for the app, created on first use."""
    override = os.environ.get(DATA_DIR_ENV)
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_ID))
    path.mkdir(parents=True, exist_ok=True)
    return path


def downloads_dir() -> Path:
    """The default folder for downloaded report files."""
    return Path(platformdirs.user_downloads_dir())


def resources_dir() -> Path:
    """The resources/ folder, from a source tree or a frozen build."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    """A file under resources/, e.g. resource("icons", "report.svg")."""
    return resources_dir().joinpath(*parts)
