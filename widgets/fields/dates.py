"""Date and date-time editors that keep wall times exactly as chosen.

The editors hold their value in UTC as a neutral carrier: the user's wall
time is stored and read back field by field, never converted, so a time
that the machine's own zone skips or repeats (a DST change) is not moved.
An optional field has a check box in front: unticked, it is left out.
"""

import datetime as dt
import logging
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QTime, QTimeZone
from PySide6.QtWidgets import QCheckBox, QDateEdit, QDateTimeEdit, QHBoxLayout, QWidget

from app.forms import FieldSpec, date_text, today_in, wall_time_text
from app.validation import parse_wall_time
from widgets.fields.base import EMPTY, EditorEnv, FieldEditor

log = logging.getLogger(__name__)

DATE_DISPLAY = "yyyy-MM-dd"
DATETIME_DISPLAY = "yyyy-MM-dd HH:mm:ss"
EARLIEST = dt.datetime(1900, 1, 1)


class _MomentEditor(FieldEditor):
    """Shared by the date and the date-time editor."""

    with_time = True

    def __init__(
        self, spec: FieldSpec, env: EditorEnv, parent: QWidget | None = None
    ) -> None:
        super().__init__(spec, env, parent)
        self.check: QCheckBox | None = None
        if not spec.required:
            self.check = QCheckBox(self)

        self.edit = QDateTimeEdit(self) if self.with_time else QDateEdit(self)
        self.edit.setTimeZone(QTimeZone.utc())
        self.edit.setDisplayFormat(DATETIME_DISPLAY if self.with_time else DATE_DISPLAY)
        self.edit.setCalendarPopup(True)
        self.edit.setReadOnly(spec.read_only)
        self.edit.setMinimumDateTime(_to_qt(EARLIEST))
        self.edit.setDateTime(_to_qt(self._start()))

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if self.check is not None:
            layout.addWidget(self.check)
            self.check.toggled.connect(self._on_check_toggled)
            self._on_check_toggled(False)
        layout.addWidget(self.edit, 1)
        self.edit.dateTimeChanged.connect(self._on_edit_changed)

    def moment(self) -> dt.datetime:
        """The wall time shown, whether or not the field is ticked."""
        return _from_qt(self.edit.dateTime())

    def set_moment(self, moment: dt.datetime) -> None:
        """Show a wall time and tick the field."""
        self.edit.setDateTime(_to_qt(moment))
        if self.check is not None:
            self.check.setChecked(True)

    def value(self) -> Any:
        if self.check is not None and not self.check.isChecked():
            return EMPTY
        moment = self.moment()
        return wall_time_text(moment) if self.with_time else date_text(moment.date())

    def set_value(self, value: Any) -> None:
        if value is EMPTY or value is None:
            if self.check is not None:
                self.check.setChecked(False)
            return

        moment = parse_wall_time(value) if isinstance(value, str) else None
        if moment is None:
            self._reject(value, "not a date")
            return
        if moment.tzinfo is not None:
            # Engines take wall times; the offset is dropped, the time kept.
            log.debug("%s: dropping the offset of %s", self.spec.path, value)
        self.set_moment(moment.replace(tzinfo=None))

    def focus_widgets(self) -> list[QWidget]:
        return [self.check, self.edit] if self.check is not None else [self.edit]

    def describe(self, name: str, description: str) -> None:
        super().describe(name, description)
        if self.check is not None:
            self.check.setAccessibleName(f"Set {name}")
            self.check.setToolTip(
                f"Tick to set {self.spec.title}; unticked, it is left out"
            )

    def _start(self) -> dt.datetime:
        default = self.spec.default if self.spec.has_default else None
        moment = parse_wall_time(default) if isinstance(default, str) else None
        if moment is not None:
            return moment.replace(tzinfo=None)
        context = self.env.context
        return dt.datetime.combine(today_in(context.tz, context), dt.time())

    def _on_check_toggled(self, checked: bool) -> None:
        self.edit.setEnabled(checked)
        self.changed.emit()

    def _on_edit_changed(self, _moment: QDateTime) -> None:
        self.changed.emit()


class DateEditor(_MomentEditor):
    """A date, sent as YYYY-MM-DD."""

    with_time = False


class DateTimeEditor(_MomentEditor):
    """A wall time, sent as YYYY-MM-DDThh:mm:ss with no offset."""

    with_time = True


def _to_qt(moment: dt.datetime) -> QDateTime:
    return QDateTime(
        QDate(moment.year, moment.month, moment.day),
        QTime(moment.hour, moment.minute, moment.second),
        QTimeZone.utc(),
    )


def _from_qt(value: QDateTime) -> dt.datetime:
    day, time = value.date(), value.time()
    return dt.datetime(
        day.year(), day.month(), day.day(), time.hour(), time.minute(), time.second()
    )
