"""The menu of one job's result files, for the keyboard and a right click.

A job's files are buttons in its row of the jobs table, which a mouse
reaches; the same actions are offered here as a menu, opened with Enter,
the Menu key or Shift+F10 on the row (or a right click): for each file,
Open, Download and Show in folder, named with the file so that a screen
reader says which one.
"""

from collections.abc import Callable

from PySide6.QtWidgets import QMenu, QWidget

from app.display_text import TITLE_LIMIT, clipped_middle
from widgets.jobs_model import FileState
from widgets.plain_text import button_text

# What the menu asks of the panel: (what to do, file name).
FileAction = Callable[[str, str], None]
OPEN, DOWNLOAD, SHOW_FOLDER = "open", "download", "folder"
NO_FILES = "No files"
NO_FILES_YET = "No files yet"


def job_files_menu(
    files: list[FileState],
    finished: bool,
    act: FileAction,
    parent: QWidget | None = None,
) -> QMenu:
    """A menu with Open, Download and Show in folder for each file.

    act(what, name) is called with OPEN, DOWNLOAD or SHOW_FOLDER. A job
    without files gets one greyed-out line saying so.
    """
    menu = QMenu(parent)
    menu.setObjectName("jobFilesMenu")
    if not files:
        empty = menu.addAction(NO_FILES if finished else NO_FILES_YET)
        empty.setEnabled(False)
        return menu

    for position, state in enumerate(files):
        if position:
            menu.addSeparator()
        name = state.name
        shown = clipped_middle(name, TITLE_LIMIT)
        busy = state.state == "downloading"
        for what, text in (
            (OPEN, f"Open {shown}"),
            (DOWNLOAD, f"Download {shown}"),
            (SHOW_FOLDER, f"Show {shown} in folder"),
        ):
            action = menu.addAction(button_text(text))
            action.setEnabled(not busy)
            action.triggered.connect(
                lambda _checked=False, what=what, name=name: act(what, name)
            )
    return menu
