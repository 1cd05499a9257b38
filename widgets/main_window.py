"""The main window: catalog on the left, the report and its jobs on the right.

It puts the views together, owns the menus and the status bar, and turns
menu choices into signals. A banner under the menu tells failures in plain
words; the status bar tells which gateway and user the window is signed in
to, and whether the connection is up.
"""

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app import APP_NAME, __version__
from widgets.banner import Banner
from widgets.catalog import CatalogView
from widgets.icons import APP_ICON, icon
from widgets.jobs_panel import JobsPanel
from widgets.report_page import ReportPage
from widgets.sign_in import SignInDialog

CONNECTION_DOTS = {
    "offline": "#8b8d98",
    "connecting": "#f5a524",
    "online": "#30a46c",
    "error": "#e5484d",
}


class MainWindow(QMainWindow):
    """The window and its menus.

    Signals:
        sign_in_requested(): File → Sign in…
        demo_requested(): File → Use the demo
        reload_requested(): View → Reload catalog
        download_folder_chosen(Path): a new download folder was picked.
    """

    sign_in_requested = Signal()
    demo_requested = Signal()
    reload_requested = Signal()
    download_folder_chosen = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icon(APP_ICON))
        self.resize(1200, 780)

        self.banner = Banner()
        self.catalog = CatalogView()
        self.report_page = ReportPage()
        self.jobs_panel = JobsPanel()
        self.sign_in_dialog = SignInDialog(self)
        self._folder: Path | None = None

        self._build_layout()
        self._build_menus()
        self._build_status_bar()
        self.jobs_panel.download_folder_change_requested.connect(
            self.choose_download_folder
        )

    def _build_layout(self) -> None:
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.report_page)
        right.addWidget(self.jobs_panel)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right.setSizes([520, 200])
        right.setChildrenCollapsible(False)

        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(self.catalog)
        main.addWidget(right)
        main.setStretchFactor(1, 1)
        main.setSizes([310, 870])
        main.setChildrenCollapsible(False)
        self.splitter = main

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 8, 10, 6)
        layout.setSpacing(8)
        layout.addWidget(self.banner)
        layout.addWidget(main, 1)
        self.setCentralWidget(central)

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        self.sign_in_action = _action(
            self, "&Sign in…", "Ctrl+L", self.sign_in_requested.emit
        )
        self.demo_action = _action(self, "Use the &demo", "", self.demo_requested.emit)
        self.folder_action = _action(
            self, "&Download folder…", "", self.choose_download_folder
        )
        quit_action = _action(self, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        for action in (self.sign_in_action, self.demo_action):
            file_menu.addAction(action)
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
        find = _action(
            self, "&Find report", QKeySequence.StandardKey.Find, self._on_find
        )
        report_menu.addAction(find)

        help_menu = menus.addMenu("&Help")
        help_menu.addAction(_action(self, "&About", "", self._on_about))

    def _build_status_bar(self) -> None:
        self.connection_label = QLabel()
        self.statusBar().addPermanentWidget(self.connection_label)
        self.set_connection("offline", "Not signed in")

    # -- what the controllers tell the window --------------------------------

    def set_connection(self, state: str, text: str) -> None:
        """Show the connection state (offline, connecting, online, error)."""
        color = CONNECTION_DOTS.get(state, CONNECTION_DOTS["offline"])
        self.connection_label.setText(f'<span style="color:{color}">●</span> {text}')
        self.connection_label.setProperty("state", state)
        self.connection_label.setToolTip(text)

    @property
    def connection_state(self) -> str:
        return str(self.connection_label.property("state"))

    def set_download_folder(self, folder: Path) -> None:
        self._folder = folder
        self.jobs_panel.set_download_folder(folder)

    def show_error(self, text: str) -> None:
        self.banner.show_message(text, "error")

    def show_info(self, text: str, level: str = "info") -> None:
        self.banner.show_message(text, level)

    def show_status(self, text: str, timeout_ms: int = 8000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def show_crash(self, text: str) -> QMessageBox:
        """Tell that something went wrong inside the app (not modal)."""
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            f"{APP_NAME}: unexpected problem",
            text,
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def restore_layout(self, geometry: bytes, state: bytes) -> None:
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        if state:
            self.restoreState(QByteArray(state))

    def saved_layout(self) -> tuple[bytes, bytes]:
        return bytes(self.saveGeometry().data()), bytes(self.saveState().data())

    # -- user actions ---------------------------------------------------------

    def choose_download_folder(self) -> None:
        """Ask for a folder without blocking; download_folder_chosen follows."""
        dialog = QFileDialog(self, "Save report files to", str(self._folder or ""))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self._on_folder_dialog_file_selected)
        dialog.open()

    def _on_folder_dialog_file_selected(self, folder: str) -> None:
        if folder:
            self.download_folder_chosen.emit(Path(folder))

    def _on_find(self) -> None:
        self.catalog.search.setFocus()
        self.catalog.search.selectAll()

    def _on_about(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle(f"About {APP_NAME}")
        box.setIconPixmap(icon(APP_ICON).pixmap(64, 64))
        box.setText(
            f"<b>{APP_NAME}</b> {__version__}<br>"
            "Run reports on Pegasus Gateways and watch them finish."
        )
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
