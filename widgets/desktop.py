"""Handing saved report files to the desktop: open one, or show its folder.

Report files come from engines we do not control, and the desktop opens a
file with whatever its type says, which for a program, a script, a
shortcut, a disk image or a document with macros means running something.
No list of dangerous types is ever complete, so the list here is the other
way round: only the types reports come in are opened; any other file stays
where it was saved, and showing its folder is always allowed.
"""

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

# Data, documents and pictures: what report engines write, and what the
# desktop shows in a viewer rather than runs.
REPORT_SUFFIXES = frozenset(
    {
        ".json", ".csv", ".tsv", ".txt", ".xlsx", ".pdf",
        ".png", ".jpg", ".jpeg", ".gif", ".svg",
        ".html", ".htm", ".xml", ".kml", ".geojson",
    }
)  # fmt: skip


def may_open(path: Path) -> bool:
    """Whether path is a report file the desktop may be asked to open.

    By its last extension, in any case. A name without one, or ending in a
    dot or a space (which Windows drops, revealing the extension before),
    is not opened.
    """
    return path.suffix.lower() in REPORT_SUFFIXES


def open_file(path: Path) -> bool:
    """Open a report file with the desktop's application for its type.

    False when the system has nothing to open it with (no desktop launcher),
    and for a file that may_open refuses: callers check may_open first to
    say why.
    """
    if not may_open(path):
        return False
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


def open_folder(path: Path) -> bool:
    """Show the folder a file is in; False when the system cannot."""
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent))))
