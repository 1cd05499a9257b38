"""The main window: catalog on the left, the report and its jobs on the right.

It puts the views together, owns the menus and the status bar, and turns
menu choices into signals. A banner floating over the top of the report page
tells failures in plain words without moving anything under the mouse; the
status bar tells which gateway and user the window is signed in to, and
whether the connection is up. Quitting while jobs run asks first: they go
on on the gateway, but nothing here follows them any more; on the local
demo the app started, quitting stops the demo and they do not finish.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QHideEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app import APP_NAME, __version__
from app.display_text import STATUS_LIMIT, TITLE_LIMIT, one_line
from widgets.banner import Banner
from widgets.catalog import CatalogView
from widgets.engines_panel import EnginesPanel
from widgets.icons import APP_ICON, icon
from widgets.jobs_panel import JobsPanel
from widgets.plain_text import message_box, plain_label, tooltip
from widgets.problems_panel import ProblemsPanel
from widgets.report_page import ReportPage
from widgets.sign_in import SignInDialog
from widgets.task_list import TaskList

# The task editor, with its form and cron code, is imported when the first
# one is opened: nothing of it is needed to show the window.
if TYPE_CHECKING:
    from app.forms import FormContext
    from app.manifest import Script
    from app.task_shapes import Task
    from widgets.task_editor import TaskEditor

DEFAULT_SIZE = (1200, 780)
# Small enough for a 1024x600 netbook screen with its panels, large enough
# for the form to stay readable next to the catalog.
MINIMUM_SIZE = (760, 540)
CATALOG_SPLIT = (264, 936)
# How a narrower window is shared: the catalog gives up 1 pixel in 5.
CATALOG_STRETCH = (1, 4)
CATALOG_MIN_WIDTH = 200
JOBS_SPLIT = (480, 237)
# And a lower one: the jobs give up 1 pixel in 4.
JOBS_STRETCH = (3, 1)
# Before the first job the panel says only "No reports run yet": it keeps
# its smallest height and every other pixel goes to the form.
NO_JOBS_STRETCH = (1, 0)
QUIT_TEXT = (
    "{count} reports are still running on the gateway; they will finish there, "
    "but this window stops following them. Quit anyway?"
)
QUIT_TEXT_ONE = (
    "1 report is still running on the gateway; it will finish there, but this "
    "window stops following it. Quit anyway?"
)
# On the local demo the app started, quitting stops the demo: nothing finishes.
QUIT_DEMO_TEXT = (
    "{count} reports are still running on the local demo; quitting stops the "
    "demo, and they will not finish. Quit anyway?"
)
QUIT_DEMO_TEXT_ONE = (
    "1 report is still running on the local demo; quitting stops the demo, and "
    "it will not finish. Quit anyway?"
)


@dataclass
class Layout:
    """What the window remembers of its shape between runs."""

    geometry: bytes = b""
    state: bytes = b""
    catalog_split: bytes = b""
    jobs_split: bytes = b""


# The states of the connection; the theme colours the dot of each.
CONNECTION_STATES = ("offline", "connecting", "online", "error")


class MainWindow(QMainWindow):
    """The window and its menus.

    Signals:
        sign_in_requested(): File → Sign in…
        sign_out_requested(): File → Sign out
        demo_requested(): File → Use the demo
        reload_requested(): View → Reload catalog
        download_folder_chosen(Path): a new download folder was picked.
        tasks_requested(): Report → Scheduled reports…
        manifest_chosen(Path): File → Open manifest… picked a file.
        hidden_changed(bool): the window was hidden or minimised (True), or
            shown again (False); jobs are followed more slowly meanwhile.
    """

    sign_in_requested = Signal()
    sign_out_requested = Signal()
    demo_requested = Signal()
    reload_requested = Signal()
    download_folder_chosen = Signal(Path)
    tasks_requested = Signal()
    manifest_chosen = Signal(Path)
    hidden_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icon(APP_ICON))
        self.setMinimumSize(*MINIMUM_SIZE)
        self.resize(*DEFAULT_SIZE)

        self.catalog = CatalogView()
        self.report_page = ReportPage()
        self.jobs_panel = JobsPanel()
        # Floats over the top of the report page, below the report's title:
        # showing it moves nothing and hides no title.
        self.banner = Banner(self.report_page)
        self.banner.float_over(self.report_page, self.report_page.banner_top)
        self.sign_in_dialog = SignInDialog(self)
        self.task_list = TaskList(self)
        self._quit_box: QMessageBox | None = None
        self._quit_confirmed = False
        # Whether the gateway is the local demo this app started.
        self._on_local_demo = False
        # Not yet shown is not told as hidden: nothing was slowed down yet.
        self._told_hidden = False
        # Jobs may come by the hundred at once: the split is fitted after.
        self._fit_pending = False

        self._build_layout()
        self._build_problems_dock()
        self._build_engines_dock()
        self._build_menus()
        self._build_status_bar()
        self.jobs_panel.download_folder_change_requested.connect(
            self.choose_download_folder
        )
        self.report_page.form_rebuilt.connect(self._on_report_page_form_rebuilt)
        self.report_page.page_changed.connect(self.banner.reposition)
        self._chain_tabs()

    def _build_layout(self) -> None:
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.report_page)
        right.addWidget(self.jobs_panel)
        right.setStretchFactor(0, JOBS_STRETCH[0])
        right.setStretchFactor(1, JOBS_STRETCH[1])
        right.setSizes(list(JOBS_SPLIT))
        right.setChildrenCollapsible(False)
        self.jobs_splitter = right
        # Whether the split is the user's (dragged, or restored from last
        # time): then it stays as it is, jobs or not.
        self._jobs_split_kept = False
        right.splitterMoved.connect(self._on_jobs_splitter_moved)
        self.jobs_panel.has_jobs_changed.connect(self._on_jobs_panel_has_jobs_changed)
        self.jobs_panel.model.rowsInserted.connect(self._on_jobs_model_rows_inserted)
        self._fit_jobs_split()

        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(self.catalog)
        main.addWidget(right)
        main.setStretchFactor(0, CATALOG_STRETCH[0])
        main.setStretchFactor(1, CATALOG_STRETCH[1])
        self.catalog.setMinimumWidth(CATALOG_MIN_WIDTH)
        main.setSizes(list(CATALOG_SPLIT))
        main.setChildrenCollapsible(False)
        self.splitter = main

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 8, 10, 6)
        layout.addWidget(main, 1)
        self.setCentralWidget(central)

    def _build_problems_dock(self) -> None:
        # Hidden until a manifest is opened from a file (the workbench).
        self.problems_panel = ProblemsPanel()
        dock = QDockWidget("Problems", self)
        dock.setObjectName("problemsDock")
        dock.setWidget(self.problems_panel)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        dock.hide()
        self.problems_dock = dock

    def _build_engines_dock(self) -> None:
        # Hidden until asked for from View → Engines: most users run none.
        self.engines_panel = EnginesPanel()
        dock = QDockWidget("Engines", self)
        dock.setObjectName("enginesDock")
        dock.setWidget(self.engines_panel)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        dock.hide()
        self.engines_dock = dock

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        self.sign_in_action = _action(
            self, "&Sign in…", "Ctrl+L", self.sign_in_requested.emit
        )
        self.sign_out_action = _action(
            self, "Sign o&ut", "", self.sign_out_requested.emit
        )
        self.sign_out_action.setEnabled(False)
        self.demo_action = _action(self, "Use the &demo", "", self.demo_requested.emit)
        self.open_manifest_action = _action(
            self, "&Open manifest…", "Ctrl+O", self.choose_manifest
        )
        self.folder_action = _action(
            self, "Download &folder…", "", self.choose_download_folder
        )
        quit_action = _action(self, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action = quit_action
        for action in (self.sign_in_action, self.sign_out_action, self.demo_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.open_manifest_action)
        file_menu.addSeparator()
        file_menu.addAction(self.folder_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)

        report_menu = menus.addMenu("&Report")
        report_menu.addAction(self.report_page.run_action)
        self.reload_action = _action(
            self,
            "&Reload catalog",
            QKeySequence.StandardKey.Refresh,
            self.reload_requested.emit,
        )
        report_menu.addAction(self.reload_action)
        self.tasks_action = _action(
            self, "&Scheduled reports…", "", self.tasks_requested.emit
        )
        report_menu.addAction(self.tasks_action)
        find = _action(
            self, "&Find report", QKeySequence.StandardKey.Find, self._on_find
        )
        report_menu.addAction(find)

        view_menu = menus.addMenu("&View")
        self.engines_action = self.engines_dock.toggleViewAction()
        self.engines_action.setText("&Engines")
        view_menu.addAction(self.engines_action)

        help_menu = menus.addMenu("&Help")
        help_menu.addAction(_action(self, "&About", "", self._on_about))

    def _build_status_bar(self) -> None:
        # The dot is a label of its own: the text beside it (a user and a
        # host the gateway named) is shown as plain text.
        self.connection_dot = plain_label("●")
        self.connection_dot.setObjectName("connectionDot")
        self.connection_label = plain_label()
        self.connection_label.setObjectName("connectionText")
        self.statusBar().addPermanentWidget(self.connection_dot)
        self.statusBar().addPermanentWidget(self.connection_label)
        self.set_connection("offline", "Not signed in")

    # -- what the controllers tell the window --------------------------------

    def set_connection(self, state: str, text: str) -> None:
        """Show the connection state (offline, connecting, online, error)."""
        state = state if state in CONNECTION_STATES else "offline"
        # A user name and a host the gateway named: no longer than a title.
        self.connection_label.setText(one_line(text, TITLE_LIMIT))
        self.connection_label.setToolTip(tooltip(text))
        for label in (self.connection_dot, self.connection_label):
            label.setProperty("state", state)
            # The stylesheet picks the dot's colour from the state property.
            label.style().unpolish(label)
            label.style().polish(label)

    @property
    def connection_state(self) -> str:
        return str(self.connection_label.property("state"))

    def set_signed_in(self, signed_in: bool) -> None:
        """Offer File → Sign out while a session is open."""
        self.sign_out_action.setEnabled(signed_in)

    def set_local_demo(self, on_local_demo: bool) -> None:
        """Say whether the jobs run on the local demo that quitting stops."""
        self._on_local_demo = on_local_demo

    def show_error(self, text: str) -> None:
        self.banner.show_message(text, "error")

    def show_info(self, text: str, level: str = "info") -> None:
        self.banner.show_message(text, level)

    def show_status(self, text: str, timeout_ms: int = 8000) -> None:
        """One line in the status bar, cut to a readable length."""
        self.statusBar().showMessage(one_line(text, STATUS_LIMIT), timeout_ms)

    def show_crash(self, text: str) -> QMessageBox:
        """Tell that something went wrong inside the app (not modal)."""
        box = message_box(
            QMessageBox.Icon.Critical,
            f"{APP_NAME}: unexpected problem",
            text,
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def restore_layout(self, layout: Layout) -> None:
        """Take back the size, the place and the splits saved last time."""
        if layout.geometry:
            self.restoreGeometry(QByteArray(layout.geometry))
        if layout.state:
            self.restoreState(QByteArray(layout.state))
        if layout.catalog_split:
            self.splitter.restoreState(QByteArray(layout.catalog_split))
        if layout.jobs_split:
            self.jobs_splitter.restoreState(QByteArray(layout.jobs_split))
            self._keep_jobs_split()

    def saved_layout(self) -> Layout:
        return Layout(
            geometry=bytes(self.saveGeometry().data()),
            state=bytes(self.saveState().data()),
            catalog_split=bytes(self.splitter.saveState().data()),
            # Only a split the user chose: one made for "no jobs yet" would
            # leave the jobs no room next time.
            jobs_split=(
                bytes(self.jobs_splitter.saveState().data())
                if self._jobs_split_kept
                else b""
            ),
        )

    def _fit_jobs_split(self) -> None:
        """The jobs panel as small as its jobs let it be, up to a share."""
        if self._jobs_split_kept:
            return
        splitter = self.jobs_splitter
        total = sum(splitter.sizes()) or sum(JOBS_SPLIT)
        # As tall as the jobs need, up to a third: a first job does not
        # take room the form could use.
        jobs = self.jobs_panel.wanted_height()
        if self.jobs_panel.has_jobs():
            share = total * JOBS_SPLIT[1] // sum(JOBS_SPLIT)
            jobs = min(jobs, share)
        stretch = JOBS_STRETCH if jobs >= total // 4 else NO_JOBS_STRETCH
        splitter.setStretchFactor(0, stretch[0])
        splitter.setStretchFactor(1, stretch[1])
        splitter.setSizes([max(total - jobs, 0), jobs])

    def _keep_jobs_split(self) -> None:
        self._jobs_split_kept = True
        self.jobs_splitter.setStretchFactor(0, JOBS_STRETCH[0])
        self.jobs_splitter.setStretchFactor(1, JOBS_STRETCH[1])

    def _on_jobs_splitter_moved(self, _position: int, _index: int) -> None:
        self._keep_jobs_split()

    def _on_jobs_panel_has_jobs_changed(self, _has_jobs: bool) -> None:
        self._fit_jobs_split()

    def _on_jobs_model_rows_inserted(self, *_where: object) -> None:
        if not self._fit_pending:
            self._fit_pending = True
            QTimer.singleShot(0, self, self._on_fit_timer_timeout)

    def _on_fit_timer_timeout(self) -> None:
        self._fit_pending = False
        self._fit_jobs_split()

    def new_task_editor(
        self,
        script: "Script",
        context: "FormContext",
        *,
        task: "Task | None" = None,
        language: str = "en",
    ) -> "TaskEditor":
        """A task editor for script, over this window (the controller opens it)."""
        from widgets.task_editor import TaskEditor

        return TaskEditor(script, context, self, task=task, language=language)

    # -- on screen or not -------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._tell_hidden()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt override)
        super().hideEvent(event)
        self._tell_hidden()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange:
            self._tell_hidden()

    def _tell_hidden(self) -> None:
        hidden = not self.isVisible() or self.isMinimized()
        if hidden != self._told_hidden:
            self._told_hidden = hidden
            self.hidden_changed.emit(hidden)

    # -- closing ----------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        """Ask once before leaving jobs that still run; else just close."""
        running = self.jobs_panel.running_count()
        if running == 0 or self._quit_confirmed:
            event.accept()
            return

        event.ignore()
        if self._quit_box is None:
            self._quit_box = self._ask_to_quit(running)

    def _ask_to_quit(self, running: int) -> QMessageBox:
        if self._on_local_demo:
            one, many = QUIT_DEMO_TEXT_ONE, QUIT_DEMO_TEXT
        else:
            one, many = QUIT_TEXT_ONE, QUIT_TEXT
        text = one if running == 1 else many.format(count=running)
        box = message_box(
            QMessageBox.Icon.Question,
            f"Quit {APP_NAME}?",
            text,
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.addButton("Quit", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(self._on_quit_box_button_clicked)
        box.finished.connect(self._on_quit_box_finished)
        box.open()
        return box

    def _on_quit_box_button_clicked(self, button: QAbstractButton) -> None:
        box = self._quit_box
        if box is not None and box.buttonRole(button) == (
            QMessageBox.ButtonRole.DestructiveRole
        ):
            self._quit_confirmed = True

    def _on_quit_box_finished(self, _result: int) -> None:
        self._quit_box = None
        if self._quit_confirmed:
            self.close()

    # -- user actions ---------------------------------------------------------

    def choose_download_folder(self) -> None:
        """Ask for a folder without blocking; download_folder_chosen follows.

        The dialog opens in the folder files are saved to now.
        """
        folder = self.jobs_panel.download_folder
        start = folder if folder is not None and folder.is_dir() else Path.home()
        dialog = QFileDialog(self, "Save report files to", str(start))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self._on_folder_dialog_file_selected)
        dialog.open()

    def choose_manifest(self) -> None:
        """Ask for a manifest file without blocking; manifest_chosen follows."""
        dialog = QFileDialog(self, "Open a manifest", str(Path.home()))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["Manifests (*.json)", "All files (*)"])
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self._on_manifest_dialog_file_selected)
        dialog.open()

    def _on_manifest_dialog_file_selected(self, path: str) -> None:
        if path:
            self.manifest_chosen.emit(Path(path))

    def _on_folder_dialog_file_selected(self, folder: str) -> None:
        if folder:
            self.download_folder_chosen.emit(Path(folder))

    def _on_report_page_form_rebuilt(self) -> None:
        # New controls join the focus chain at its end; put them where they
        # are seen: after the catalog, before Run and the jobs.
        self._chain_tabs()

    def _chain_tabs(self) -> None:
        """Tab goes catalog, form, Run, jobs: the order they are seen in."""
        chain = [self.catalog.search, self.catalog.tree]
        # The report page's own order: its form, Run, then the JSON body.
        chain += self.report_page.focus_chain()
        chain += self.jobs_panel.focus_chain()
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    def _on_find(self) -> None:
        self.catalog.search.setFocus()
        self.catalog.search.selectAll()

    def _on_about(self) -> None:
        box = message_box(
            QMessageBox.Icon.NoIcon,
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\n"
            "Run reports on Pegasus Gateways and watch them finish.",
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setIconPixmap(icon(APP_ICON).pixmap(64, 64))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()


def _action(
    parent: QWidget,
    text: str,
    shortcut: str | QKeySequence.StandardKey,
    slot: Callable[[], object],
) -> QAction:
    action = QAction(text, parent)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    # triggered() passes "checked"; none of these slots wants it.
    action.triggered.connect(lambda _checked=False: slot())
    return action
