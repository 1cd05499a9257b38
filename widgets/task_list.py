"""The list of scheduled tasks on the gateway, and what can be done to each.

One row per task: its name, its report, its schedule in words, its next
run, its last run and how that ended. For the selected task: Edit, Run now
(a job of the task's report now, over the period its `back` gives), Delete
(after a question) and Pause/Resume when the gateway has a way to pause;
when it has none the button stays disabled and says why. The list does no
I/O: each action is a signal carrying the task's id.
"""

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.display_text import (
    MESSAGE_LIMIT,
    MESSAGE_LINES,
    TITLE_LIMIT,
    clipped,
    one_line,
)
from widgets.plain_text import message_box, plain_label, tooltip

# Only named in hints: app.task_shapes brings croniter, not needed to show
# the window.
if TYPE_CHECKING:
    from app.task_shapes import TaskSummary

log = logging.getLogger(__name__)

COLUMNS = ("Task", "Report", "Schedule", "Next run", "Last run", "Outcome")
TASK, REPORT, SCHEDULE, NEXT_RUN, LAST_RUN, OUTCOME = range(len(COLUMNS))
ID_ROLE = Qt.ItemDataRole.UserRole + 1
LIST_SIZE = (980, 420)
# A column as wide as its text, within these bounds; what is left of the
# width goes to the last column, so the table has no empty strip on its right.
COLUMN_WIDTHS = (90, 280)
# Room after a column's text, so neighbouring columns do not read as one.
COLUMN_PADDING = 24


class TaskList(QDialog):
    """The gateway's scheduled tasks, in a window of their own.

    Signals:
        refresh_requested(): list the tasks again.
        edit_requested(object): change the task with this id.
        delete_requested(object): the user confirmed deleting this task.
        run_now_requested(object): run this task's report now.
        pause_requested(object, bool): pause (True) or resume this task.
    """

    refresh_requested = Signal()
    edit_requested = Signal(object)
    delete_requested = Signal(object)
    run_now_requested = Signal(object)
    pause_requested = Signal(object, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Scheduled reports")
        self.resize(*LIST_SIZE)
        self._rows: list[TaskSummary] = []
        self._pause_reason = ""
        self._confirm: QMessageBox | None = None
        # The columns were sized to tasks once: later lists keep their widths.
        self._fitted = False

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setAccessibleName("Scheduled tasks")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.verticalHeader().hide()

        self.status_label = plain_label()
        self.status_label.setWordWrap(True)
        self.refresh_button = QPushButton("Refresh")
        self.edit_button = QPushButton("Edit…")
        self.run_button = QPushButton("Run now")
        self.pause_button = QPushButton("Pause")
        self.delete_button = QPushButton("Delete…")
        self._lay_out()

        self.refresh_button.clicked.connect(self.refresh_requested)
        self.edit_button.clicked.connect(self._on_edit_clicked)
        self.run_button.clicked.connect(self._on_run_clicked)
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.table.itemSelectionChanged.connect(self._show_buttons)
        self.table.doubleClicked.connect(self._on_edit_clicked)
        self._show_buttons()

    def _lay_out(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        for button in (
            self.edit_button,
            self.run_button,
            self.pause_button,
            self.delete_button,
        ):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)

    # -- what the controller tells the list -----------------------------------

    def show_tasks(self, rows: "list[TaskSummary]") -> None:
        """Show these tasks; the selected one stays selected if still there."""
        chosen = self.selected_id()
        self._rows = list(rows)
        self.table.setRowCount(len(rows))
        for position, row in enumerate(rows):
            cells = (
                row.name,
                row.report,
                row.schedule,
                row.next_run,
                row.last_run,
                row.outcome,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(one_line(text, TITLE_LIMIT * 2))
                item.setToolTip(tooltip(text))
                item.setData(ID_ROLE, row.id)
                self.table.setItem(position, column, item)
            if row.id == chosen:
                self.table.selectRow(position)
        self._fit_columns()
        count = len(rows)
        self.set_status(
            "No scheduled reports yet: open a report and press Schedule."
            if not count
            else f"{count} scheduled report{'s' if count != 1 else ''}."
        )
        self._show_buttons()

    def _fit_columns(self) -> None:
        """Columns as wide as their text, kept within COLUMN_WIDTHS; widths
        the user dragged are kept when the list is shown again."""
        if self._fitted and self.table.rowCount():
            return
        self.table.resizeColumnsToContents()
        narrowest, widest = COLUMN_WIDTHS
        for column in range(len(COLUMNS) - 1):
            width = self.table.columnWidth(column) + COLUMN_PADDING
            self.table.setColumnWidth(column, min(max(width, narrowest), widest))
        self._fitted = bool(self.table.rowCount())

    def rows(self) -> "list[TaskSummary]":
        return list(self._rows)

    def set_status(self, text: str) -> None:
        self.status_label.setText(clipped(text, MESSAGE_LIMIT, lines=MESSAGE_LINES))

    def set_pause_unavailable(self, reason: str) -> None:
        """The gateway cannot pause tasks: Pause stays disabled, saying why."""
        self._pause_reason = reason
        self.pause_button.setToolTip(tooltip(reason))
        self._show_buttons()

    def selected_id(self) -> int | None:
        items = self.table.selectedItems()
        value = items[0].data(ID_ROLE) if items else None
        return value if isinstance(value, int) else None

    def select_task(self, task_id: int) -> None:
        for position, row in enumerate(self._rows):
            if row.id == task_id:
                self.table.selectRow(position)

    # -- inside the list -------------------------------------------------------

    def _show_buttons(self) -> None:
        chosen = self.selected_id() is not None
        for button in (self.edit_button, self.run_button, self.delete_button):
            button.setEnabled(chosen)
        self.pause_button.setEnabled(chosen and not self._pause_reason)

    def _on_edit_clicked(self) -> None:
        task_id = self.selected_id()
        if task_id is not None:
            self.edit_requested.emit(task_id)

    def _on_run_clicked(self) -> None:
        task_id = self.selected_id()
        if task_id is not None:
            self.run_now_requested.emit(task_id)

    def _on_pause_clicked(self) -> None:
        task_id = self.selected_id()
        if task_id is not None and not self._pause_reason:
            self.pause_requested.emit(task_id, True)

    def _on_delete_clicked(self) -> None:
        task_id = self.selected_id()
        if task_id is None or self._confirm is not None:
            return
        name = next((row.name for row in self._rows if row.id == task_id), "")
        box = message_box(
            QMessageBox.Icon.Question,
            "Delete the scheduled report?",
            f"Delete “{one_line(name, TITLE_LIMIT)}”? It will not run again, "
            "and this cannot be undone. Reports it already made are kept.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def on_clicked(button: object) -> None:
            if button is delete:
                self.delete_requested.emit(task_id)

        box.buttonClicked.connect(on_clicked)
        box.finished.connect(self._on_confirm_finished)
        self._confirm = box
        box.open()

    def _on_confirm_finished(self, _result: int) -> None:
        self._confirm = None

    @property
    def confirmation(self) -> QMessageBox | None:
        """The open "Delete?" question, if any (for keyboard and tests)."""
        return self._confirm
