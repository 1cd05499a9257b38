"""The cron editor: presets and a raw expression, kept in step both ways.

A preset (every day at, every weekday at, every Monday at, the first of
the month at, every N hours) writes its expression into the raw field;
an expression typed there that a preset can say is shown as that preset,
any other as "Custom". Below, all from app.schedule.preview, the same code
as `python -m app cron`: whether the expression is valid (and if not,
why), its description in plain words (only when valid), and its next runs
in the task's time zone. Each run shows its UTC offset on the first line
and on each day the offset changes (summer time), so the hour a report
runs is never ambiguous.
"""

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from app.display_text import MESSAGE_LIMIT, MESSAGE_LINES, clipped
from app.errors import UsageError
from app.schedule.preview import DEFAULT_COUNT, CronPreview, preview
from app.schedule.runs import zone_named
from widgets.plain_text import plain_label

log = logging.getLogger(__name__)

DAILY, WEEKDAYS, MONDAYS, MONTHLY, HOURLY, CUSTOM = (
    "daily",
    "weekdays",
    "mondays",
    "monthly",
    "every_hours",
    "custom",
)
PRESET_LABELS = {
    DAILY: "Every day at",
    WEEKDAYS: "Every weekday at",
    MONDAYS: "Every Monday at",
    MONTHLY: "First of the month at",
    HOURLY: "Every N hours",
    CUSTOM: "Custom expression",
}
# The day fields (day of month, month, day of week) of the presets at a time.
_DAYS_OF = {
    DAILY: "* * *",
    WEEKDAYS: "* * 1-5",
    MONDAYS: "* * 1",
    MONTHLY: "1 * *",
}
_AT_TIME = re.compile(r"(\d{1,2}) (\d{1,2}) (\S+ \S+ \S+)", re.ASCII)
_EVERY_HOURS = re.compile(r"0 \*/(\d{1,2}) \* \* \*", re.ASCII)
DEFAULT_EXPRESSION = "0 7 * * 1"
DAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class Preset:
    """An expression as a preset: its kind, time and hours between runs."""

    kind: str
    hour: int = 7
    minute: int = 0
    every: int = 6

    @property
    def expression(self) -> str | None:
        """The five fields the preset stands for; None for Custom."""
        if self.kind == HOURLY:
            return f"0 */{self.every} * * *"
        days = _DAYS_OF.get(self.kind)
        return f"{self.minute} {self.hour} {days}" if days else None


def preset_of(text: str) -> Preset:
    """The preset an expression is written as; Custom when none says it."""
    fields = " ".join(text.split())
    every = _EVERY_HOURS.fullmatch(fields)
    if every and 1 <= int(every.group(1)) <= 23:
        return Preset(HOURLY, every=int(every.group(1)))
    at = _AT_TIME.fullmatch(fields)
    if at:
        minute, hour = int(at.group(1)), int(at.group(2))
        for kind, days in _DAYS_OF.items():
            if at.group(3) == days and minute < 60 and hour < 24:
                return Preset(kind, hour=hour, minute=minute)
    return Preset(CUSTOM)


def run_line(moment: dt.datetime, show_offset: bool) -> str:
    """ "Mon 2024-10-28 02:30", with " (UTC+01:00)" when asked."""
    # Not strftime's %a: its day names follow the locale Qt sets.
    text = f"{DAY_ABBREVIATIONS[moment.weekday()]} {moment:%Y-%m-%d %H:%M}"
    if show_offset:
        offset = moment.strftime("%z")
        text += f" (UTC{offset[:3]}:{offset[3:]})"
    return text


class CronEditor(QWidget):
    """One cron expression, edited by preset or by hand, with its runs.

    Signals:
        expression_changed(str): the raw expression, after any edit.
    """

    expression_changed = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        zone: str = "UTC",
        language: str = "en",
        clock: Clock | None = None,
        count: int = DEFAULT_COUNT,
    ) -> None:
        """clock: now, for the runs (tests); count: how many runs to list."""
        super().__init__(parent)
        self._count = count
        self._zone = zone
        self._language = language
        self._clock = clock
        self._quiet = False
        self.shown: CronPreview = CronPreview(valid=False)

        self.preset = QComboBox()
        for kind, label in PRESET_LABELS.items():
            self.preset.addItem(label, kind)
        self.preset.setAccessibleName("Schedule preset")
        self.time_edit = QTimeEdit(QTime(7, 0))
        self.time_edit.setDisplayFormat("HH:mm")
        self.time_edit.setAccessibleName("Time of day")
        self.hours_spin = QSpinBox()
        self.hours_spin.setRange(1, 23)
        self.hours_spin.setValue(6)
        self.hours_spin.setSuffix(" h")
        self.hours_spin.setAccessibleName("Hours between runs")
        self.expression_edit = QLineEdit()
        self.expression_edit.setPlaceholderText("minute hour day month weekday")
        self.expression_edit.setAccessibleName("Cron expression")

        self.status_label = plain_label()
        self.status_label.setWordWrap(True)
        self.status_label.setObjectName("runReason")
        self.runs_list = QListWidget()
        self.runs_list.setAccessibleName("Next runs")
        self.runs_title = plain_label()
        self._lay_out()

        self.preset.currentIndexChanged.connect(self._on_preset_changed)
        self.time_edit.timeChanged.connect(self._on_preset_changed)
        self.hours_spin.valueChanged.connect(self._on_preset_changed)
        self.expression_edit.textChanged.connect(self._on_expression_text_changed)
        self.set_expression(DEFAULT_EXPRESSION)

    def _lay_out(self) -> None:
        presets = QHBoxLayout()
        presets.setContentsMargins(0, 0, 0, 0)
        presets.addWidget(self.preset, 1)
        presets.addWidget(self.time_edit)
        presets.addWidget(self.hours_spin)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Runs", presets)
        form.addRow("Expression", self.expression_edit)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.status_label)
        layout.addWidget(self.runs_title)
        layout.addWidget(self.runs_list, 1)

    # -- what the owner tells the editor ---------------------------------------

    def expression(self) -> str:
        return self.expression_edit.text().strip()

    def set_expression(self, text: str) -> None:
        """Show text in the raw field, and as its preset when one says it."""
        self.expression_edit.setText(text)
        # setText gives no signal when the text is the same; show it anyway.
        self._refresh()

    def set_zone(self, zone: str) -> None:
        """List the runs in this IANA zone from now on."""
        self._zone = zone
        self._refresh()

    def set_language(self, language: str) -> None:
        self._language = language
        self._refresh()

    @property
    def valid(self) -> bool:
        return self.shown.valid

    def run_moments(self) -> list[dt.datetime]:
        """The runs listed, as the moments behind each line."""
        return list(self.shown.runs)

    def run_lines(self) -> list[str]:
        return [self.runs_list.item(i).text() for i in range(self.runs_list.count())]

    # -- inside the editor ---------------------------------------------------

    def _on_preset_changed(self) -> None:
        if self._quiet:
            return
        preset = self._preset_chosen()
        self._show_preset_controls(preset.kind)
        expression = preset.expression
        if expression is not None:
            self._quiet = True
            try:
                self.expression_edit.setText(expression)
            finally:
                self._quiet = False
            self._refresh()

    def _on_expression_text_changed(self, _text: str) -> None:
        if not self._quiet:
            self._refresh()

    def _preset_chosen(self) -> Preset:
        time = self.time_edit.time()
        return Preset(
            str(self.preset.currentData()),
            hour=time.hour(),
            minute=time.minute(),
            every=self.hours_spin.value(),
        )

    def _show_preset(self, preset: Preset) -> None:
        """Set the preset controls to preset, without writing the expression."""
        self._quiet = True
        try:
            self.preset.setCurrentIndex(self.preset.findData(preset.kind))
            if preset.kind != CUSTOM:
                self.time_edit.setTime(QTime(preset.hour, preset.minute))
                self.hours_spin.setValue(preset.every)
        finally:
            self._quiet = False
        self._show_preset_controls(preset.kind)

    def _show_preset_controls(self, kind: str) -> None:
        self.time_edit.setVisible(kind in _DAYS_OF)
        self.hours_spin.setVisible(kind == HOURLY)

    def _refresh(self) -> None:
        """Preset, validity, words and runs for the expression as it is now."""
        text = self.expression()
        self._show_preset(preset_of(text))
        try:
            zone = zone_named(self._zone)
        except UsageError as exc:
            self._show(CronPreview(valid=False, error=str(exc)), lead="Time zone: ")
        else:
            now = self._clock() if self._clock is not None else dt.datetime.now(zone)
            self._show(preview(text, zone, now, self._count, self._language))
        self.expression_changed.emit(text)

    def _show(self, shown: CronPreview, lead: str = "Not a schedule: ") -> None:
        self.shown = shown
        self.status_label.setProperty("blocked", not shown.valid)
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
        if shown.valid:
            words = shown.description or "(no description for this expression)"
            self.status_label.setText(words)
        else:
            message = clipped(shown.error or "", MESSAGE_LIMIT, lines=MESSAGE_LINES)
            self.status_label.setText(lead + message)

        self.runs_list.clear()
        offset = None
        for moment in shown.runs:
            self.runs_list.addItem(run_line(moment, moment.utcoffset() != offset))
            offset = moment.utcoffset()
        self.runs_title.setText(f"Next runs ({self._zone})" if shown.runs else "")
        self.runs_title.setVisible(bool(shown.runs))
