"""A line for typing a date or a date and time, with a calendar beside it.

What is typed or pasted is read as a whole (2026-11-02 08:30:00, with a T
or a space, seconds optional), so the value is exactly the text and never a
mix of sections. Text that is not a date says so instead of being bent into
one. Up and Down step the part under the cursor (year, month, day, hour,
minute or second); the button at the end, or Alt+Down, opens a calendar.
The moment is a wall time, with no zone attached and nothing converted;
unless it was given (or typed) with a UTC offset ("+14:00", "Z"), which is
then shown after the time and kept, never dropped or applied.
"""

import calendar
import datetime as dt
import re

from PySide6.QtCore import QDate, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QCalendarWidget, QLineEdit, QTableView, QWidget

from widgets.icons import CALENDAR_ICON, icon

DATE_EXAMPLE = "2026-11-02"
DATETIME_EXAMPLE = "2026-11-02 08:30:00"

_TEXT = re.compile(
    r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s*(?P<offset>[Zz]|[+-]\d{2}:?\d{2}))?)?$"
)
# Where each part sits in the shown text "YYYY-MM-DD hh:mm:ss": its last
# column, so a cursor just after a part still steps that part.
_PARTS = (
    (4, "year"),
    (7, "month"),
    (10, "day"),
    (13, "hour"),
    (16, "minute"),
    (19, "second"),
)


def read_moment(text: str, with_time: bool = True) -> dt.datetime | None:
    """The wall time a person typed, or None if the text is not one.

    A date-time field also takes a date alone (midnight); a date field takes
    only a date. A time may end with a UTC offset, which the moment keeps.
    """
    match = _TEXT.match(text.strip())
    if match is None or (match["hour"] is not None and not with_time):
        return None
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    hour, minute = int(match["hour"] or 0), int(match["minute"] or 0)
    second = int(match["second"] or 0)
    zone = _offset(match["offset"]) if match["offset"] else None
    if match["offset"] and zone is None:
        return None
    try:
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None


def _offset(text: str) -> dt.timezone | None:
    """An offset ("+14:00", "-0500", "Z") as a fixed zone; None out of range."""
    if text in ("Z", "z"):
        return dt.UTC
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        return None
    delta = dt.timedelta(hours=hours, minutes=minutes)
    return dt.timezone(-delta if text[0] == "-" else delta)


def moment_text(moment: dt.datetime, with_time: bool = True) -> str:
    """As shown: 2026-11-02 08:30:00, then its offset if it has one.

    Written out, not with strftime: its %Y gives "999" for the year 999 on
    Linux, which would then be read back as no date at all.
    """
    if not with_time:
        return moment.date().isoformat()
    text = f"{moment.date().isoformat()} {moment.time().isoformat('seconds')}"
    offset = moment.utcoffset()
    return text if offset is None else f"{text} {offset_text(offset)}"


def offset_text(offset: dt.timedelta) -> str:
    """A UTC offset as +hh:mm."""
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(offset) // dt.timedelta(minutes=1)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def step_moment(moment: dt.datetime, part: str, steps: int) -> dt.datetime:
    """moment with one part moved by steps; the day is kept within the month."""
    if part in ("year", "month"):
        months = moment.month - 1 + steps * (12 if part == "year" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        if not dt.MINYEAR <= year <= dt.MAXYEAR:
            return moment
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)
    try:
        return moment + dt.timedelta(**{f"{part}s": steps})
    except OverflowError:
        return moment


class WallTimeEdit(QLineEdit):
    """A date (or date and time) typed as text.

    Signals:
        moment_changed(): the text changed; moment() reads it (None if it
            is not a date).
    """

    moment_changed = Signal()

    def __init__(self, with_time: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.with_time = with_time
        example = DATETIME_EXAMPLE if with_time else DATE_EXAMPLE
        self.setPlaceholderText(example)
        self.calendar_action = QAction(
            icon(CALENDAR_ICON), "Choose in a calendar", self
        )
        self.calendar_action.setToolTip("Choose the date in a calendar (Alt+Down)")
        self.calendar_action.triggered.connect(self.open_calendar)
        self.addAction(self.calendar_action, QLineEdit.ActionPosition.TrailingPosition)

        self._popup: QCalendarWidget | None = None
        self.textChanged.connect(self._on_text_changed)
        self.editingFinished.connect(self._on_editing_finished)

    def moment(self) -> dt.datetime | None:
        return read_moment(self.text(), self.with_time)

    def set_moment(self, moment: dt.datetime) -> None:
        self.setText(moment_text(moment, self.with_time))

    def setReadOnly(self, read_only: bool) -> None:  # noqa: N802 (Qt override)
        super().setReadOnly(read_only)
        self.calendar_action.setVisible(not read_only)

    def calendar(self) -> QCalendarWidget:
        """The calendar shown under the line (made on first use)."""
        return self._popup or self._make_popup()

    def open_calendar(self) -> None:
        """Show a calendar under the line; a click there sets the date."""
        if self.isReadOnly() or not self.isEnabled():
            return
        popup = self.calendar()
        moment = self.moment()
        if moment is not None:
            popup.setSelectedDate(QDate(moment.year, moment.month, moment.day))
        popup.move(self.mapToGlobal(self.rect().bottomLeft()))
        popup.show()
        _show_every_week(popup)
        popup.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        key, modifiers = event.key(), event.modifiers()
        alt = modifiers & Qt.KeyboardModifier.AltModifier
        if key == Qt.Key.Key_F4 or (key == Qt.Key.Key_Down and alt):
            self.open_calendar()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and not self.isReadOnly():
            self._step(1 if key == Qt.Key.Key_Up else -1)
        else:
            super().keyPressEvent(event)

    def _step(self, steps: int) -> None:
        moment = self.moment()
        if moment is None:
            return
        # The part is found in the shown layout, YYYY-MM-DD hh:mm:ss.
        cursor = self.cursorPosition()
        parts = _PARTS if self.with_time else _PARTS[:3]
        part = next((name for end, name in parts if cursor <= end), parts[-1][1])
        self.set_moment(step_moment(moment, part, steps))
        self.setCursorPosition(cursor)

    def _make_popup(self) -> QCalendarWidget:
        popup = QCalendarWidget(self)
        popup.setWindowFlags(Qt.WindowType.Popup)
        popup.setGridVisible(False)
        popup.clicked.connect(self._on_popup_clicked)
        popup.activated.connect(self._on_popup_clicked)
        popup.installEventFilter(self)
        self._popup = popup
        return popup

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # Escape in the calendar closes it and comes back to the line.
        if (
            watched is self._popup
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        ):
            self._popup.hide()
            self.setFocus()
            return True
        return super().eventFilter(watched, event)

    def _on_popup_clicked(self, day: QDate) -> None:
        moment = self.moment() or dt.datetime.combine(dt.date.today(), dt.time())
        chosen = moment.replace(year=day.year(), month=day.month(), day=day.day())
        self.set_moment(chosen)
        if self._popup is not None:
            self._popup.hide()
        self.setFocus()

    def _on_text_changed(self, _text: str) -> None:
        self.moment_changed.emit()

    def _on_editing_finished(self) -> None:
        # A moment typed loosely (a T, no seconds) is shown the usual way.
        moment = self.moment()
        if moment is not None and self.text() != moment_text(moment, self.with_time):
            self.set_moment(moment)


def _show_every_week(popup: QCalendarWidget) -> None:
    """Make the calendar tall and wide enough for all its rows and columns.

    Its size hint can fall short of what its table needs under a style
    sheet, which cuts off the last week; the shortfall is added.
    """
    table = popup.findChild(QTableView)
    if table is None:
        return
    short_height = table.verticalHeader().length() - table.viewport().height()
    short_width = table.horizontalHeader().length() - table.viewport().width()
    if short_height > 0 or short_width > 0:
        popup.resize(
            popup.width() + max(short_width, 0), popup.height() + max(short_height, 0)
        )
