"""Handing saved report files to the desktop: open one, or show its folder.

Report files come from engines we do not control, and opening a file with
the desktop's default application runs it when it is a program or a script
(an .exe, a .bat, a .desktop launcher, ...). Such files are never opened
from here; showing the folder they are in is always allowed.
"""

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

# What the desktops we run on would run, or hand to an interpreter, when
# asked to open it: Windows, macOS and Linux programs, scripts and launchers.
PROGRAM_SUFFIXES = frozenset(
    {
        # Windows
        ".exe", ".com", ".bat", ".cmd", ".msi", ".msp", ".scr", ".pif", ".cpl",
        ".lnk", ".url", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".wsh", ".hta",
        ".ps1", ".psm1", ".reg", ".appref-ms", ".application",
        # macOS
        ".app", ".command", ".tool", ".pkg", ".mpkg", ".scpt", ".workflow",
        ".webloc",
        # Linux and anywhere
        ".sh", ".bash", ".zsh", ".csh", ".ksh", ".desktop", ".run", ".appimage",
        ".jar", ".py", ".pyw", ".pl", ".rb",
    }
)  # fmt: skip


def is_program_file(path: Path) -> bool:
    """Whether the desktop would run path, or a program inside it, if opened."""
    # Windows ignores trailing dots and spaces: "x.exe. " is x.exe.
    name = path.name.rstrip(" .").lower()
    return any(name.endswith(suffix) for suffix in PROGRAM_SUFFIXES)


def open_file(path: Path) -> bool:
    """Open a file with the desktop's application for its type.

    False when the system has nothing to open it with (no desktop launcher).
    A program file is never opened, and also gives False: callers check
    is_program_file first to say why.
    """
    if is_program_file(path):
        return False
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


def open_folder(path: Path) -> bool:
    """Show the folder a file is in; False when the system cannot."""
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent))))
