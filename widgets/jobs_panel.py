"""The jobs panel: every report run this session, live, with its files.

A table shows each job's report, state, a progress bar, the time since it
started (one timer refreshes the column for all rows) and a button per
result file: a click downloads it if needed and opens it; its menu has
Download, Open and Show in folder. Downloading is asked of the controller;
opening is done here, with the desktop's default application, and when the
desktop has none the panel says so (open_failed) with the file's path.
"""

from pathlib import Path

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QDesktopServices, QPainter, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.jobs import Job
from widgets.jobs_model import (
    FILES,
    PERCENT_ROLE,
    PROGRESS,
    STATE_ROLE,
    FileState,
    JobsModel,
)
from widgets.theme import BORDER, MUTED, STATE_COLORS

TICK_MS = 1000
ROW_HEIGHT = 36
# Report, State, Progress, Elapsed; Files takes the rest.
COLUMN_WIDTHS = (130, 72, 112, 70)
MIN_FILES_WIDTH = 120
OPEN, SHOW_FOLDER = "open", "folder"


class JobsPanel(QWidget):
    """The table of jobs and the download folder.

    Signals:
        download_requested(job_id, filename): fetch that file of that job.
        download_folder_change_requested(): the user wants another folder.
        open_failed(str): a file or folder could not be opened; the message
            says which and where it is.
    """

    download_requested = Signal(int, str)
    download_folder_change_requested = Signal()
    open_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.model = JobsModel(self)
        self.download_folder: Path | None = None
        # What to do with a file once it is saved: open it or show its folder.
        self._when_saved: dict[tuple[int, str], str] = {}

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(PROGRESS, _ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # Files takes the room left, but never less than its buttons need
        # (_fit_files_column): a narrow window scrolls the table instead of
        # cutting the file names.
        # TODO(jobs-panel): below about 1150 px a job with three files needs
        # the table's scroll bar to reach its last button; the buttons could
        # wrap onto a second line instead.
        header.setStretchLastSection(False)
        header.sectionResized.connect(self._on_header_section_resized)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft)
        for column, width in enumerate(COLUMN_WIDTHS):
            # Never narrower than the column's own title.
            shown = max(width, header.sectionSizeHint(column))
            self.table.setColumnWidth(column, shown)

        empty = QLabel("No reports run yet. Pick one, fill it in and press Run.")
        empty.setObjectName("muted")
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._stack = QStackedWidget()
        self._stack.addWidget(empty)
        self._stack.addWidget(self.table)

        self.folder_label = QLabel()
        self.folder_label.setObjectName("muted")
        change = QPushButton("Change…")
        change.setToolTip("Choose the folder downloads are saved to")
        change.clicked.connect(self.download_folder_change_requested)
        self.change_button = change
        title = QLabel("Jobs")
        title.setObjectName("cardTitle")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch()
        top.addWidget(self.folder_label)
        top.addWidget(change)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.addLayout(top)
        layout.addWidget(self._stack, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    # -- what the controller tells the panel -----------------------------------

    def set_download_folder(self, folder: Path) -> None:
        self.download_folder = folder
        self.folder_label.setText(f"Files are saved to {_short_path(folder)}")
        self.folder_label.setToolTip(str(folder))

    def show_job(self, job: Job) -> None:
        """Add a job or show its new state."""
        self.model.upsert(job)
        self._stack.setCurrentWidget(self.table)
        self._refresh_files(job.id)
        if not job.finished and not self._timer.isActive():
            self._timer.start()

    def clear(self) -> None:
        """Forget every job (they belong to a gateway no longer signed in)."""
        self.model.clear()
        self._when_saved.clear()
        self._timer.stop()
        self._stack.setCurrentIndex(0)

    def file_download_started(self, job_id: int, name: str) -> None:
        self.model.update_file(job_id, name, state="downloading", received=0)
        self._refresh_files(job_id)

    def file_download_progress(
        self, job_id: int, name: str, received: int, total: int | None
    ) -> None:
        self.model.update_file(job_id, name, received=received, total=total)
        self._refresh_files(job_id)

    def file_downloaded(self, job_id: int, name: str, path: Path) -> None:
        self.model.update_file(job_id, name, state="saved", path=path, message="")
        self._refresh_files(job_id)
        then = self._when_saved.pop((job_id, name), None)
        if then == OPEN:
            self._open(path)
        elif then == SHOW_FOLDER:
            self._show_folder(path)

    def file_download_failed(self, job_id: int, name: str, message: str) -> None:
        self.model.update_file(job_id, name, state="failed", message=message)
        self._when_saved.pop((job_id, name), None)
        self._refresh_files(job_id)

    # -- reading the panel (for the window and tests) -------------------------

    def job_state(self, job_id: int) -> str | None:
        position = self.model.row_of(job_id)
        return None if position is None else self.model.rows[position].job.state

    def file_state(self, job_id: int, name: str) -> FileState | None:
        position = self.model.row_of(job_id)
        if position is None:
            return None
        return self.model.rows[position].files.get(name)

    def file_button(self, job_id: int, name: str) -> QToolButton | None:
        cell = self._files_cell(job_id)
        return cell.buttons.get(name) if cell else None

    def files_to_download(self, job_id: int) -> list[str]:
        """The files of a job not saved on this computer yet."""
        position = self.model.row_of(job_id)
        if position is None:
            return []
        files = self.model.rows[position].files.values()
        return [f.name for f in files if f.state != "saved"]

    def focus_chain(self) -> list[QWidget]:
        """The panel's controls in the order Tab should visit them."""
        return [self.table, self.change_button]

    def running_count(self) -> int:
        """Jobs shown as not finished: the gateway is still working on them."""
        return sum(1 for row in self.model.rows if not row.job.finished)

    # -- internals -------------------------------------------------------------

    def _files_cell(self, job_id: int) -> "_FilesCell | None":
        position = self.model.row_of(job_id)
        if position is None:
            return None
        # Index widgets move with their rows as new jobs are inserted above.
        widget = self.table.indexWidget(self.model.index(position, FILES))
        if isinstance(widget, _FilesCell) and widget.job_id == job_id:
            return widget
        return None

    def _refresh_files(self, job_id: int) -> None:
        position = self.model.row_of(job_id)
        if position is None:
            return
        row = self.model.rows[position]
        cell = self._files_cell(job_id)
        if cell is None and row.files:
            cell = _FilesCell(job_id, self)
            cell.download_clicked.connect(self._on_cell_download_clicked)
            cell.open_clicked.connect(self._on_cell_open_clicked)
            cell.show_folder_clicked.connect(self._on_cell_show_folder_clicked)
            self.table.setIndexWidget(self.model.index(position, FILES), cell)
        if cell is not None:
            cell.show_files(list(row.files.values()))
            self._fit_files_column()

    def _fit_files_column(self) -> None:
        """The room left to Files, or what its widest row of buttons needs."""
        others = sum(self.table.columnWidth(c) for c in range(FILES))
        room = self.table.viewport().width() - others
        needed = max(
            (
                cell.needed_width()
                for position in range(self.model.rowCount())
                if isinstance(
                    cell := self.table.indexWidget(self.model.index(position, FILES)),
                    _FilesCell,
                )
            ),
            default=0,
        )
        width = max(room, needed, MIN_FILES_WIDTH)
        if self.table.columnWidth(FILES) != width:
            self.table.setColumnWidth(FILES, width)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._fit_files_column()

    def _on_header_section_resized(self, column: int, _old: int, _new: int) -> None:
        if column != FILES:
            self._fit_files_column()

    def _on_cell_download_clicked(self, job_id: int, name: str) -> None:
        self.download_requested.emit(job_id, name)

    def _on_cell_open_clicked(self, job_id: int, name: str) -> None:
        self._when_available(job_id, name, OPEN)

    def _on_cell_show_folder_clicked(self, job_id: int, name: str) -> None:
        self._when_available(job_id, name, SHOW_FOLDER)

    def _when_available(self, job_id: int, name: str, then: str) -> None:
        """Open a file or show its folder, downloading it first if needed."""
        state = self.file_state(job_id, name)
        if state is not None and state.state == "saved" and state.path:
            if then == OPEN:
                self._open(state.path)
            else:
                self._show_folder(state.path)
            return
        self._when_saved[(job_id, name)] = then
        self.download_requested.emit(job_id, name)

    def _open(self, path: Path) -> None:
        if not open_file(path):
            self.open_failed.emit(
                f"The file {path} could not be opened: no application on this "
                "computer is set up to open it."
            )

    def _show_folder(self, path: Path) -> None:
        if not open_folder(path):
            self.open_failed.emit(
                f"The file {path} is saved, but its folder could not be shown: "
                "no file manager is set up on this computer."
            )

    def _on_timer_timeout(self) -> None:
        if not self.model.tick():
            self._timer.stop()


def _short_path(folder: Path) -> str:
    """The folder with the home folder written as ~, as people read it."""
    try:
        return str(Path("~") / folder.relative_to(Path.home()))
    except ValueError:
        return str(folder)


def open_file(path: Path) -> bool:
    """Open a file with the desktop's application for its type.

    False when the system has nothing to open it with (no desktop launcher).
    """
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


def open_folder(path: Path) -> bool:
    """Show the folder a file is in; False when the system cannot."""
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent))))


class _FilesCell(QWidget):
    """One button per result file of a job."""

    download_clicked = Signal(int, str)
    open_clicked = Signal(int, str)
    show_folder_clicked = Signal(int, str)

    def __init__(self, job_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job_id = job_id
        self.buttons: dict[str, QToolButton] = {}
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(2, 3, 2, 3)
        self._layout.setSpacing(5)
        self._layout.addStretch()

    def show_files(self, files: list[FileState]) -> None:
        for state in files:
            button = self.buttons.get(state.name) or self._add_button(state.name)
            _describe_button(button, state)

    def needed_width(self) -> int:
        """The width that shows every button whole."""
        margins = self._layout.contentsMargins()
        spacing = self._layout.spacing() * max(len(self.buttons) - 1, 0)
        buttons = sum(b.minimumWidth() for b in self.buttons.values())
        return margins.left() + buttons + spacing + margins.right()

    def _add_button(self, name: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName("fileButton")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)

        menu = QMenu(button)
        download = menu.addAction("Download")
        download.triggered.connect(
            lambda: self.download_clicked.emit(self.job_id, name)
        )
        open_action = menu.addAction("Open")
        open_action.triggered.connect(lambda: self.open_clicked.emit(self.job_id, name))
        folder = menu.addAction("Show in folder")
        folder.triggered.connect(
            lambda: self.show_folder_clicked.emit(self.job_id, name)
        )
        button.setMenu(menu)
        button.clicked.connect(lambda: self._on_button_clicked(name))

        self._layout.insertWidget(self._layout.count() - 1, button)
        self.buttons[name] = button
        return button

    def _on_button_clicked(self, name: str) -> None:
        # Downloaded first if needed, then opened.
        self.open_clicked.emit(self.job_id, name)


def _describe_button(button: QToolButton, state: FileState) -> None:
    button.setProperty("saved", state.state == "saved")
    if state.state == "saved":
        button.setText(f"✓ {state.name}")
        button.setToolTip(f"Saved to {state.path}. Click to open it.")
    elif state.state == "downloading":
        share = f" {100 * state.received // state.total}%" if state.total else ""
        button.setText(f"⤓ {state.name}{share}")
        button.setToolTip("Downloading…")
    elif state.state == "failed":
        button.setText(f"⚠ {state.name}")
        button.setToolTip(f"The download failed: {state.message} Click to retry.")
    else:
        button.setText(f"⤓ {state.name}")
        button.setToolTip(
            "Click to download and open it; the menu can also only download it "
            "or show its folder."
        )
    button.setEnabled(state.state != "downloading")
    # The "saved" property changes the look: have the stylesheet read it again.
    button.style().unpolish(button)
    button.style().polish(button)
    # The whole name, always: a cut "tri….json" cannot be told apart.
    button.setMinimumWidth(button.sizeHint().width())


class _ProgressDelegate(QStyledItemDelegate):
    """A slim progress bar with its percentage, in the job state's colour."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        percent = float(index.data(PERCENT_ROLE) or 0.0)
        color = QColor(STATE_COLORS.get(str(index.data(STATE_ROLE)), MUTED))

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_width = 42
        bar = QRect(
            option.rect.left() + 6,
            option.rect.center().y() - 3,
            option.rect.width() - text_width - 14,
            7,
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(BORDER))
        painter.drawRoundedRect(bar, 3.5, 3.5)
        if percent > 0:
            filled = QRect(bar)
            filled.setWidth(max(7, int(bar.width() * percent / 100)))
            painter.setBrush(color)
            painter.drawRoundedRect(filled, 3.5, 3.5)

        painter.setPen(QColor(MUTED))
        text_rect = QRect(
            bar.right() + 6, option.rect.top(), text_width, option.rect.height()
        )
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            f"{percent:.0f}%",
        )
        painter.restore()
