"""The task editor: a report scheduled with cron, its recipients and period.

A dialog for one scheduled task of one report: the task's name, the
report's parameters in the same generated form as the report page (minus
the period and the time zone, which the task gives: `back` and its zone),
the recipients' email addresses, the gateway's users who receive it, how
far back each run reports (days and hours), the time zone the schedule
runs in, and one or more cron schedules, each edited in the cron editor.
The dialog does no I/O: Save sends save_requested, the controller checks
what draft() holds and either sends the task or shows the problem here.
The recipients are also checked as they are typed: an address that is not
one is named under the field, and Save waits until it is fixed.
"""

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QSplitter,
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
from app.errors import UsageError
from app.forms import FormContext, time_zones
from app.manifest import Script
from app.schedule.back import MOST_DAYS
from app.task_shapes import (
    Task,
    TaskDraft,
    parse_recipients,
    period_fields,
    without_fields,
)
from widgets.cron_editor import DEFAULT_EXPRESSION, Clock, CronEditor
from widgets.fields.base import error_label
from widgets.form import ReportForm
from widgets.plain_text import plain_label
from widgets.resource_picker import ResourcePicker

log = logging.getLogger(__name__)

DEFAULT_BACK_DAYS = 7
DIALOG_SIZE = (880, 720)
SCHEDULE_LIST_HEIGHT = 110
# Between the task's column and the schedules' column, each side of the handle.
COLUMN_GAP = 10
SCHEDULES_HEADING = "Schedules"
SCHEDULES_NOTE = "The report runs at every time of every schedule in this list."


class TaskEditor(QDialog):
    """Schedule one report, or change one of its tasks.

    Signals:
        save_requested(): Save was pressed; read draft().
        resource_reload_requested(str): a list of the form failed; Retry.
        users_reload_requested(): the users list failed; Retry.
    """

    save_requested = Signal()
    resource_reload_requested = Signal(str)
    users_reload_requested = Signal()

    def __init__(
        self,
        script: Script,
        context: FormContext,
        parent: QWidget | None = None,
        *,
        task: Task | None = None,
        language: str = "en",
        clock: Clock | None = None,
    ) -> None:
        super().__init__(parent)
        self.script = script
        self.task_id = task.id if task is not None else None
        self._users_typed = False
        self._busy = False
        verb = "Edit the schedule of" if task is not None else "Schedule"
        self.setWindowTitle(f"{verb} {one_line(script.title, TITLE_LIMIT)}")
        self.resize(*DIALOG_SIZE)

        self.name_edit = QLineEdit(task.name if task else script.title)
        self.name_edit.setAccessibleName("Task name")
        self.form = ReportForm()
        self.form.set_schema(
            without_fields(script.schema, period_fields(script.schema)),
            context=context,
        )
        self.form.resource_reload_requested.connect(self.resource_reload_requested)
        self._build_delivery(context)
        self.cron = CronEditor(zone=self.zone(), language=language, clock=clock)
        self._build_schedules()
        self.problem_label = plain_label()
        self.problem_label.setObjectName("runReason")
        self.problem_label.setProperty("blocked", True)
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self._lay_out()

        if task is not None:
            self.load(task)
        self.recipients_edit.textChanged.connect(self._on_recipients_text_changed)
        self.cron.expression_changed.connect(self._on_cron_expression_changed)
        self.zone_combo.currentTextChanged.connect(self.cron.set_zone)

    def _build_delivery(self, context: FormContext) -> None:
        self.recipients_edit = QLineEdit()
        self.recipients_edit.setPlaceholderText("ops@example.com, boss@example.com")
        self.recipients_edit.setAccessibleName("Recipients")
        self.recipients_error = error_label()
        self.recipients_error.setAccessibleName("Recipients error")
        self.recipients_error.hide()
        self.users_picker = ResourcePicker("users")
        self.users_picker.retry_requested.connect(self.users_reload_requested)
        # TODO(tasks): without the gateway's users list, users are given by
        # id, which a person rarely knows; names would need that list.
        self.users_edit = QLineEdit()
        self.users_edit.setPlaceholderText("user ids, e.g. 2, 3")
        self.users_edit.setAccessibleName("User ids")
        self.users_note = plain_label()
        self.users_note.setWordWrap(True)
        self.users_note.hide()
        # One or the other: the list when the gateway gives it, else ids.
        self.users_edit.hide()

        self.days_spin = QSpinBox()
        self.days_spin.setRange(0, MOST_DAYS)
        self.days_spin.setValue(DEFAULT_BACK_DAYS)
        self.days_spin.setSuffix(" days")
        self.days_spin.setAccessibleName("Days back")
        self.hours_spin = QSpinBox()
        self.hours_spin.setRange(0, 23)
        self.hours_spin.setSuffix(" hours")
        self.hours_spin.setAccessibleName("Hours back")
        self.zone_combo = QComboBox()
        self.zone_combo.setEditable(True)
        self.zone_combo.addItems(list(time_zones()))
        self.zone_combo.setCurrentText(context.tz)
        self.zone_combo.setAccessibleName("Time zone")

    def _build_schedules(self) -> None:
        self.schedule_list = QListWidget()
        self.schedule_list.setAccessibleName("Schedules")
        # A few rows: most tasks have one schedule, and the runs need the room.
        self.schedule_list.setMaximumHeight(SCHEDULE_LIST_HEIGHT)
        self.schedule_list.addItem(DEFAULT_EXPRESSION)
        self.schedule_list.setCurrentRow(0)
        self.add_button = QPushButton("Add schedule")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.schedule_list.currentRowChanged.connect(self._on_schedule_row_changed)
        self._show_schedule_buttons()

    def _lay_out(self) -> None:
        back = QHBoxLayout()
        back.addWidget(self.days_spin)
        back.addWidget(self.hours_spin)
        back.addStretch(1)
        users = QVBoxLayout()
        users.addWidget(self.users_note)
        users.addWidget(self.users_picker)
        users.addWidget(self.users_edit)
        recipients = QVBoxLayout()
        recipients.setSpacing(2)
        recipients.addWidget(self.recipients_edit)
        recipients.addWidget(self.recipients_error)
        delivery = QFormLayout()
        delivery.addRow("Task name", self.name_edit)
        delivery.addRow("Recipients", recipients)
        delivery.addRow("Users", users)
        delivery.addRow("Each run covers the last", back)
        delivery.addRow("Time zone", self.zone_combo)

        schedule_buttons = QHBoxLayout()
        schedule_buttons.addWidget(self.add_button)
        schedule_buttons.addWidget(self.remove_button)
        schedule_buttons.addStretch(1)
        schedules = QWidget()
        right = QVBoxLayout(schedules)
        right.setContentsMargins(COLUMN_GAP, 0, 0, 0)
        note = plain_label(SCHEDULES_NOTE)
        note.setWordWrap(True)
        right.addWidget(plain_label(SCHEDULES_HEADING))
        right.addWidget(note)
        right.addWidget(self.schedule_list)
        right.addLayout(schedule_buttons)
        right.addWidget(self.cron, 1)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, COLUMN_GAP, 0)
        left_layout.addLayout(delivery)
        left_layout.addWidget(plain_label("Report parameters"))
        left_layout.addWidget(self.form, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(schedules)
        split.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)

    # -- what the controller tells the editor ---------------------------------

    def load(self, task: Task) -> None:
        """Show a task of the gateway: its first process and its schedules."""
        process = task.first
        self.task_id = task.id
        self.name_edit.setText(task.name)
        self.form.set_values(
            {
                k: v
                for k, v in process.report_values.items()
                if k not in period_fields(self.script.schema)
            }
        )
        self.recipients_edit.setText(", ".join(process.recipients))
        self._check_recipients()
        self.users_picker.set_selected_ids(process.users)
        self.users_edit.setText(", ".join(str(user) for user in process.users))
        back = process.back
        if back is not None:
            self.days_spin.setValue(int(back.days))
            self.hours_spin.setValue(int(back.hours))
        self.zone_combo.setCurrentText(task.zone)
        self.cron.set_zone(task.zone)
        self.schedule_list.clear()
        self.schedule_list.addItems(task.schedule or [DEFAULT_EXPRESSION])
        self.schedule_list.setCurrentRow(0)
        self._show_schedule_buttons()

    def set_values(self, values: dict[str, Any]) -> None:
        """Start from these report values (the report page's), less the period."""
        skipped = period_fields(self.script.schema)
        self.form.set_values({k: v for k, v in values.items() if k not in skipped})

    def set_resource_choices(self, kind: str, items: list[tuple[Any, str]]) -> None:
        self.form.set_resource_choices(kind, items)

    def set_resource_failed(self, kind: str, message: str) -> None:
        self.form.set_resource_failed(kind, message)

    def resources_needed(self) -> set[str]:
        return set(self.form.resources_needed())

    def set_users(self, items: list[tuple[int, str]]) -> None:
        """The gateway's users to pick from."""
        chosen = self.users_picker.selected_ids() or self._typed_ids()
        self.users_picker.set_items(items)
        self.users_picker.set_selected_ids(chosen)
        self._users_typed = False
        self.users_edit.hide()
        self.users_picker.show()
        self.users_note.hide()

    def set_users_failed(self, message: str) -> None:
        """No users list: users are typed as ids, and the reason is shown."""
        self.users_picker.show_failure(message)
        self._users_typed = True
        self.users_picker.hide()
        self.users_edit.show()
        self.users_note.setText(
            clipped(
                f"{message} Give the ids of the users instead.",
                MESSAGE_LIMIT,
                lines=MESSAGE_LINES,
            )
        )
        self.users_note.show()

    def zone(self) -> str:
        return self.zone_combo.currentText().strip()

    def schedules(self) -> list[str]:
        return [
            self.schedule_list.item(row).text().strip()
            for row in range(self.schedule_list.count())
        ]

    def draft(self) -> TaskDraft:
        return TaskDraft(
            name=self.name_edit.text().strip(),
            values=self.form.values(),
            input_problems=self.form.input_problems(),
            recipients_text=self.recipients_edit.text(),
            users=self.users_picker.selected_ids(),
            users_text=self.users_edit.text(),
            users_typed=self._users_typed,
            back_days=self.days_spin.value(),
            back_hours=self.hours_spin.value(),
            zone=self.zone(),
            schedules=self.schedules(),
        )

    def show_problem(self, text: str, errors: dict[str, str] | None = None) -> None:
        """Say what stops Save ("" for nothing); field errors go to the form."""
        self.problem_label.setText(clipped(text, MESSAGE_LIMIT, lines=MESSAGE_LINES))
        self.problem_label.setVisible(bool(text))
        self.form.set_errors(errors or {})

    def set_busy(self, busy: bool) -> None:
        """While the task is being sent: Save cannot be pressed twice."""
        self._busy = busy
        self.save_button.setText("Saving…" if busy else "Save")
        self._enable_save()

    # -- inside the editor ---------------------------------------------------

    def _typed_ids(self) -> list[int]:
        words = self.users_edit.text().replace(",", " ").split()
        return [int(word) for word in words if word.isdigit()]

    def recipients_problem(self) -> str:
        """Why the recipients typed cannot be sent, or "" when they can."""
        try:
            parse_recipients(self.recipients_edit.text())
        except UsageError as exc:
            return str(exc)
        return ""

    def _check_recipients(self) -> None:
        problem = self.recipients_problem()
        self.recipients_error.setText(
            clipped(problem, MESSAGE_LIMIT, lines=MESSAGE_LINES)
        )
        self.recipients_error.setVisible(bool(problem))
        self.recipients_edit.setAccessibleDescription(problem)
        self._enable_save()

    def _enable_save(self) -> None:
        problem = self.recipients_problem()
        self.save_button.setEnabled(not self._busy and not problem)
        self.save_button.setToolTip("Fix the recipients first" if problem else "")

    def _on_recipients_text_changed(self, _text: str) -> None:
        self._check_recipients()

    def _on_buttons_accepted(self) -> None:
        self.save_requested.emit()

    def _on_cron_expression_changed(self, text: str) -> None:
        item = self.schedule_list.currentItem()
        if item is not None and item.text() != text:
            item.setText(text)

    def _on_schedule_row_changed(self, row: int) -> None:
        if row >= 0:
            self.cron.set_expression(self.schedule_list.item(row).text())

    def _on_add_clicked(self) -> None:
        self.schedule_list.addItem(DEFAULT_EXPRESSION)
        self.schedule_list.setCurrentRow(self.schedule_list.count() - 1)
        self._show_schedule_buttons()

    def _on_remove_clicked(self) -> None:
        row = self.schedule_list.currentRow()
        if row >= 0 and self.schedule_list.count() > 1:
            self.schedule_list.takeItem(row)
        self._show_schedule_buttons()

    def _show_schedule_buttons(self) -> None:
        # A task has at least one schedule: the last one is changed, not removed.
        self.remove_button.setEnabled(self.schedule_list.count() > 1)
