"""The jobs panel: every report run, live, with its files.

A table shows each job's report, state, a progress bar, the time since it
started (one timer refreshes the column for all rows) and a button per
result file (widgets/file_buttons.py), which wrap onto more lines in a
narrow window. Downloading is asked of the controller; opening is done
here, with the desktop's default application, and when the desktop has
none the panel says so (open_failed) with the file's path. Only report
files (data, documents, pictures: widgets/desktop.py) are opened; any other
file, which the desktop might run, is not: the panel says where it is saved
instead (open_refused), and Show in folder still works. Job ids travel in
signals as Python objects: a gateway chooses them, and they can be larger
than a Qt int holds. Jobs kept from an earlier run of the app come back
with their state and saved files; one past its expiry, or that the gateway
no longer knows, shows so and counts as ended.

The keyboard reaches the files through the table (widgets/jobs_table.py):
Tab stops once on it, the arrows pick a job, and Enter, the Menu key or
Shift+F10 open the menu of that job's files (widgets/file_menu.py).
"""

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import APP_NAME
from app.history import ended
from app.jobs import Job
from widgets.desktop import may_open, open_file, open_folder
from widgets.file_buttons import FileButtons
from widgets.file_menu import DOWNLOAD, OPEN, SHOW_FOLDER, job_files_menu
from widgets.jobs_model import FILES, PROGRESS, REPORT, FileState, JobsModel
from widgets.jobs_table import JobsTable, ProgressDelegate
from widgets.plain_text import plain_label, tooltip

TICK_MS = 1000
ROW_HEIGHT = 36
# Report, State, Progress, Elapsed; Files takes the rest.
COLUMN_WIDTHS = (130, 72, 112, 70)
MIN_FILES_WIDTH = 120
# The report's name gives up to this much room when a file's button would
# otherwise have to shorten its name (a narrow window).
REPORT_MIN_WIDTH = 90
# Ends with the path, for copying it: no full stop after it.
NOT_OPENED = (
    f"{{name}} was not opened: {APP_NAME} opens only report files (data, "
    "documents and pictures such as .csv, .xlsx, .pdf or .png). It is saved "
    "at {path}"
)


class JobsPanel(QWidget):
    """The table of jobs and the download folder.

    Signals:
        download_requested(job_id, filename): fetch that file of that job.
        download_folder_change_requested(): the user wants another folder.
        open_failed(str): a file or folder could not be opened; the message
            says which and where it is.
        open_refused(str): a file that is not a report file was not opened;
            the message says where it is saved.
        has_jobs_changed(bool): the first job came, or the jobs were cleared.
    """

    download_requested = Signal(object, str)
    download_folder_change_requested = Signal()
    open_failed = Signal(str)
    open_refused = Signal(str)
    has_jobs_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.model = JobsModel(self)
        self.download_folder: Path | None = None
        # What to do with a file once it is saved: open it or show its folder.
        self._when_saved: dict[tuple[int, str], str] = {}
        self._fitting = False
        # What the widest cell needed at the last fit of every row: a cell
        # needing more changes the columns; any other change, its row only.
        self._widest = 0
        # While many jobs come at once (at start), nothing is fitted, and
        # the jobs whose file buttons are still to be made wait here.
        self._batch = False
        self._pending_cells: dict[int, None] = {}
        # The Report column's width as set, or as the user dragged it.
        self._report_width = COLUMN_WIDTHS[REPORT]

        self.file_menu: QMenu | None = None
        self.table = JobsTable()
        self.table.setModel(self.model)
        self.table.menu_requested.connect(self._on_table_menu_requested)
        self.table.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self.table))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        # A row whose buttons take several lines may be taller than the
        # table: scrolling by pixels reaches its bottom, by rows would not.
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # Files takes the room left (_fit_files_column); its buttons wrap
        # onto more lines, and the row grows to show them all, so nothing
        # needs the table to scroll sideways.
        # TODO(jobs-panel): in an 800x600 window the table is under 100 px
        # tall, so a job with three files fills it and the jobs below are
        # reached by scrolling; the files could go in a strip of their own.
        header.setStretchLastSection(False)
        header.sectionResized.connect(self._on_header_section_resized)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft)
        for column, width in enumerate(COLUMN_WIDTHS):
            # Never narrower than the column's own title.
            shown = max(width, header.sectionSizeHint(column))
            self.table.setColumnWidth(column, shown)

        empty = plain_label("No reports run yet. Pick one, fill it in and press Run.")
        empty.setObjectName("muted")
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._stack = QStackedWidget()
        self._stack.addWidget(empty)
        self._stack.addWidget(self.table)
        self._show_table(False)

        self.folder_label = plain_label()
        self.folder_label.setObjectName("muted")
        change = QPushButton("Change…")
        change.setToolTip("Choose the folder downloads are saved to")
        change.clicked.connect(self.download_folder_change_requested)
        self.change_button = change
        title = plain_label("Jobs")
        title.setObjectName("cardTitle")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch()
        top.addWidget(self.folder_label)
        top.addWidget(change)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.addLayout(top)
        self._layout, self._top = layout, top
        layout.addWidget(self._stack, 1)

        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self._fit_files_column)

        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        # A vertical scroll bar coming or going changes the room for Files.
        self.table.viewport().installEventFilter(self)

    # -- what the controller tells the panel -----------------------------------

    def set_download_folder(self, folder: Path) -> None:
        self.download_folder = folder
        self.folder_label.setText(f"Files are saved to {_short_path(folder)}")
        self.folder_label.setToolTip(tooltip(str(folder)))

    def show_job(
        self,
        job: Job,
        *,
        seen_at: float | None = None,
        ended_at: float | None = None,
    ) -> None:
        """Add a job or show its new state.

        A job kept from an earlier run comes with when it was first seen
        and, if it had ended, when: its Elapsed time goes on from there.
        """
        row = self.model.upsert(job)
        if seen_at is not None:
            row.seen_at = seen_at
        if ended(job):
            # Expired and gone are ends the model does not know of.
            row.ended_at = ended_at or row.ended_at or time.time()
        first = not self.has_jobs()
        self._show_table(True)
        if first:
            self.has_jobs_changed.emit(True)
        self._files_changed(job.id)
        if not ended(job) and not self._timer.isActive():
            self._timer.start()

    @contextlib.contextmanager
    def many_changes(self) -> Iterator[None]:
        """Show many jobs (those kept from an earlier run), then fit the
        table once."""
        self._batch = True
        try:
            yield
            # The file buttons come once every row is in: a row inserted
            # above them would move every one (a walk through all per row).
            for job_id in self._pending_cells:
                self._refresh_files(job_id)
        finally:
            self._pending_cells.clear()
            self._batch = False
            self._fit_files_column()

    def clear(self) -> None:
        """Forget every job (they belong to a gateway no longer signed in)."""
        self.model.clear()
        self._widest = 0
        self._when_saved.clear()
        self._timer.stop()
        had_jobs = self.has_jobs()
        self._show_table(False)
        if had_jobs:
            self.has_jobs_changed.emit(False)

    def _show_table(self, shown: bool) -> None:
        """The table, or the "No reports run yet" line, sized to itself.

        A stack is as tall as its tallest page: the empty table, hidden,
        would keep the one line as tall as a table.
        """
        policy = QSizePolicy.Policy
        self.table.setSizePolicy(
            policy.Expanding, policy.Expanding if shown else policy.Ignored
        )
        self._stack.setCurrentIndex(1 if shown else 0)
        self._stack.updateGeometry()

    def wanted_height(self) -> int:
        """The height that shows the title and every job without scrolling
        (or, with no jobs, the title and its one line)."""
        if not self.has_jobs():
            return self.minimumSizeHint().height()
        margins = self._layout.contentsMargins()
        table = self.table
        rows = sum(table.rowHeight(r) for r in range(self.model.rowCount()))
        shown = table.horizontalHeader().sizeHint().height() + rows
        shown += 2 * table.frameWidth()
        if table.horizontalScrollBar().isVisible():
            shown += table.horizontalScrollBar().height()
        top = self._top.sizeHint().height()
        spacing = max(self._layout.spacing(), 0)
        return margins.top() + top + spacing + shown + margins.bottom()

    def has_jobs(self) -> bool:
        """Whether the table is shown, not the "No reports run yet" line."""
        return self._stack.currentWidget() is self.table

    def file_download_started(self, job_id: int, name: str) -> None:
        self.model.update_file(job_id, name, state="downloading", received=0)
        self._files_changed(job_id)

    def file_download_progress(
        self, job_id: int, name: str, received: int, total: int | None
    ) -> None:
        self.model.update_file(job_id, name, received=received, total=total)
        self._files_changed(job_id)

    def file_downloaded(self, job_id: int, name: str, path: Path) -> None:
        self.model.update_file(job_id, name, state="saved", path=path, message="")
        self._files_changed(job_id)
        then = self._when_saved.pop((job_id, name), None)
        if then == OPEN:
            self._open(path)
        elif then == SHOW_FOLDER:
            self._show_folder(path)

    def file_download_failed(self, job_id: int, name: str, message: str) -> None:
        self.model.update_file(job_id, name, state="failed", message=message)
        self._when_saved.pop((job_id, name), None)
        self._files_changed(job_id)

    # -- reading the panel (for the window and tests) -------------------------

    def jobs(self) -> list[Job]:
        """The jobs shown, newest first, as last described by the gateway."""
        return [row.job for row in self.model.rows]

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
        return sum(1 for row in self.model.rows if not ended(row.job))

    # -- internals -------------------------------------------------------------

    def _files_cell(self, job_id: int) -> FileButtons | None:
        position = self.model.row_of(job_id)
        if position is None:
            return None
        # Index widgets move with their rows as new jobs are inserted above.
        widget = self.table.indexWidget(self.model.index(position, FILES))
        if isinstance(widget, FileButtons) and widget.job_id == job_id:
            return widget
        return None

    def _files_changed(self, job_id: int) -> None:
        if self._batch:
            self._pending_cells[job_id] = None
        else:
            self._refresh_files(job_id)

    def _refresh_files(self, job_id: int) -> None:
        position = self.model.row_of(job_id)
        if position is None:
            return
        row = self.model.rows[position]
        cell = self._files_cell(job_id)
        if cell is None and row.files:
            cell = FileButtons(job_id, self)
            cell.download_clicked.connect(self._on_cell_download_clicked)
            cell.open_clicked.connect(self._on_cell_open_clicked)
            cell.show_folder_clicked.connect(self._on_cell_show_folder_clicked)
            cell.layout_changed.connect(self._on_cell_layout_changed)
            self.table.setIndexWidget(self.model.index(position, FILES), cell)
        if cell is not None:
            cell.show_files(list(row.files.values()))
            self._fit_cell(position, cell)

    def _fit_cell(self, position: int, cell: FileButtons) -> None:
        """Fit the row of a cell that changed; the columns too if it needs
        more room than any before.

        One row, not all: a job's news would otherwise cost a walk through
        every row (15 ms at 500 rows), and hundreds of jobs ending together
        would stall the window for seconds.
        """
        if self._batch:
            return
        if cell.widest() > self._widest:
            self._fit_files_column()
        else:
            self._fit_row(position, self.table.columnWidth(FILES), cell)

    def _fit_files_column(self) -> None:
        """Give Files the room left, and each row the lines its buttons take."""
        if self._fitting or self._batch:
            return
        self._fitting = True
        try:
            cells = self._cells()
            viewport = self.table.viewport().width()
            fixed = sum(self.table.columnWidth(c) for c in range(REPORT + 1, FILES))
            # The report's name is shortened before a file's name is.
            widest = max((cell.widest() for cell in cells.values()), default=0)
            self._widest = widest
            short = widest - (viewport - fixed - self._report_width)
            report = self._report_width
            if short > 0:
                report = max(report - short, min(REPORT_MIN_WIDTH, report))
            if self.table.columnWidth(REPORT) != report:
                self.table.setColumnWidth(REPORT, report)

            width = max(viewport - fixed - report, MIN_FILES_WIDTH)
            if self.table.columnWidth(FILES) != width:
                self.table.setColumnWidth(FILES, width)
            for position in range(self.model.rowCount()):
                self._fit_row(position, width, cells.get(position))
        finally:
            self._fitting = False

    def _fit_row(self, position: int, width: int, cell: FileButtons | None) -> None:
        """The row as tall as the lines its file buttons take at width."""
        height = ROW_HEIGHT
        if cell is not None:
            cell.fit_width(width)
            height = max(height, cell.heightForWidth(width))
        if self.table.rowHeight(position) != height:
            self.table.setRowHeight(position, height)

    def _cells(self) -> dict[int, FileButtons]:
        """The file buttons of each row that has some."""
        return {
            position: cell
            for position in range(self.model.rowCount())
            if isinstance(
                cell := self.table.indexWidget(self.model.index(position, FILES)),
                FileButtons,
            )
        }

    def _on_cell_layout_changed(self) -> None:
        # Buttons take their final size once styled and shown, which can
        # change the room of the others: every row is fitted again, once
        # for all the cells laid out again meanwhile.
        # TODO(jobs-panel): only the rows of the cells that changed; with
        # 500 jobs shown this costs about 15 ms a turn of the event loop.
        if not self._batch:
            self._refit.start()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._fit_files_column()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_files_column()
        return super().eventFilter(watched, event)

    def _on_header_section_resized(self, column: int, _old: int, new: int) -> None:
        if column == REPORT and not self._fitting:
            self._report_width = new
        if column != FILES:
            self._fit_files_column()

    def _on_table_menu_requested(self, where: QPoint) -> None:
        position = self.table.currentIndex().row()
        if not 0 <= position < self.model.rowCount():
            return
        row = self.model.rows[position]
        job_id = row.job.id

        def act(what: str, name: str) -> None:
            if what == DOWNLOAD:
                self.download_requested.emit(job_id, name)
            else:
                self._when_available(job_id, name, what)

        if self.file_menu is not None:
            self.file_menu.close()
        menu = job_files_menu(list(row.files.values()), row.job.finished, act, self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.destroyed.connect(lambda _menu=None, menu=menu: self._forget_menu(menu))
        self.file_menu = menu
        # Not exec(): the event loop (and the jobs it follows) keeps running.
        menu.popup(where)

    def _forget_menu(self, menu: QMenu) -> None:
        if self.file_menu is menu:
            self.file_menu = None

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
        if not may_open(path):
            # The desktop might run it: a report engine's file is not trusted.
            self.open_refused.emit(NOT_OPENED.format(name=path.name, path=path))
            return
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
