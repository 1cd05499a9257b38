"""Date and date-time editors that keep wall times exactly as typed.

The moment is typed (or pasted) as text in one line, one Tab stop, and read
as a whole: what the user typed is what is sent, with no zone attached and
nothing converted, so a time that the machine's own zone skips or repeats
(a DST change) is not moved. A date-time given with a UTC offset (a
schema's default, a kept value) is shown with it, and sent exactly as it
was given until the user changes it; an edited one keeps its offset. Text
that is not a date is told under the field and keeps Run disabled, and a
value given that is not text at all is shown as JSON and given back as it
came. A date the line cannot show exactly (a fraction of a second, or a
time given to a date field) is kept as given (KeptValue) and sent back
unchanged, with the reason at the field, until the user presses Change.
An optional field has a check box in front: unticked, it is left out.
"""

import datetime as dt
import json
import logging
from typing import Any

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QWidget

from app.forms import FieldSpec, date_text, today_in, wall_time_text
from app.validation import parse_wall_time
from widgets.fields.base import EMPTY, EditorEnv, FieldEditor, KeptValue
from widgets.fields.wall_time import DATE_EXAMPLE, DATETIME_EXAMPLE, WallTimeEdit
from widgets.plain_text import tooltip

log = logging.getLogger(__name__)


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

        self.edit = WallTimeEdit(self.with_time, self)
        self.edit.setReadOnly(spec.read_only)
        # A value given with an offset, as given, and the text showing it:
        # sent unchanged while that text is untouched.
        self._given: tuple[str, str] | None = None
        self.kept = KeptValue([self.edit], self)
        self.keeper = self.kept
        self.kept.change.setEnabled(not spec.read_only)
        # Why the value kept cannot be shown, told at the field.
        self._kept_why = ""
        self._show_start()

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if self.check is not None:
            layout.addWidget(self.check)
            self.check.toggled.connect(self._on_check_toggled)
            self._on_check_toggled(False)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.kept, 1)
        self.edit.moment_changed.connect(self._on_edit_moment_changed)
        self.kept.dropped.connect(self._on_edit_moment_changed)

    def moment(self) -> dt.datetime | None:
        """The wall time typed, whether or not the field is ticked."""
        return self.edit.moment()

    def set_moment(self, moment: dt.datetime) -> None:
        """Show a wall time and tick the field."""
        self.kept.drop()
        self.edit.set_moment(moment)
        if self.check is not None:
            self.check.setChecked(True)

    def value(self) -> Any:
        if self.check is not None and not self.check.isChecked():
            return EMPTY
        if self.kept.holds:
            return self.kept.value
        if self._given is not None and self.edit.text() == self._given[0]:
            return self._given[1]
        moment = self.moment()
        if moment is None:
            # Sent as typed, never guessed; input_problem() keeps Run off.
            return self.edit.text().strip() or EMPTY
        if not self.with_time:
            return date_text(moment.date())
        if moment.tzinfo is not None:
            # Typed with an offset: sent with it, never converted.
            return moment.isoformat(timespec="seconds")
        return wall_time_text(moment)

    def set_value(self, value: Any) -> None:
        self.kept.drop()
        if value is EMPTY or value is None:
            if self.check is not None:
                self.check.setChecked(False)
            return

        if not isinstance(value, str):
            # Not a date at all: shown as JSON, given back as it came.
            self.edit.setText(json.dumps(value, ensure_ascii=False, default=str))
            self._given = (self.edit.text(), value)
            if self.check is not None:
                self.check.setChecked(True)
            return
        moment = parse_wall_time(value)
        if moment is None:
            # Shown as it is, with its problem under it, rather than dropped.
            self._given = None
            self.edit.setText(value)
            if self.check is not None:
                self.check.setChecked(True)
            return
        self._show_given(value, moment)
        if self.check is not None:
            self.check.setChecked(True)

    def input_problem(self) -> str:
        if self.check is not None and not self.check.isChecked():
            return ""
        if self.kept.holds:
            return f"is {self._kept_why}; press Change to choose another"
        if self.moment() is not None:
            return ""
        if self.with_time:
            return f"is not a date and time: type it like {DATETIME_EXAMPLE}"
        return f"is not a date: type it like {DATE_EXAMPLE}"

    def focus_widgets(self) -> list[QWidget]:
        shown: list[QWidget] = [self.edit]
        if self.kept.holds:
            shown = self.kept.focus_widgets()
        return [self.check, *shown] if self.check is not None else shown

    def describe(self, name: str, description: str) -> None:
        super().describe(name, description)
        if self.check is not None:
            self.check.setAccessibleName(f"Set {name}")
            self.check.setToolTip(
                tooltip(f"Tick to set {self.spec.title}; unticked, it is left out")
            )

    def _show_start(self) -> None:
        """The schema's default, else today at midnight in the user's zone."""
        default = self.spec.default if self.spec.has_default else None
        moment = parse_wall_time(default) if isinstance(default, str) else None
        if isinstance(default, str) and moment is not None:
            self._show_given(default, moment)
            return
        context = self.env.context
        self.edit.set_moment(
            dt.datetime.combine(today_in(context.tz, context), dt.time())
        )

    def _show_given(self, value: str, moment: dt.datetime) -> None:
        """Show a value that came with the form (not typed), keeping it exact.

        One with an offset is shown with it and sent as given while its text
        is untouched: "2026-11-02T10:00:00+14:00" is not 10:00 anywhere else.
        One the line cannot show exactly is kept as it is (KeptValue).
        """
        why = self._unshowable(value, moment)
        if why:
            # Change then starts from the nearest moment the line can show.
            self.edit.set_moment(moment.replace(microsecond=0))
            self._given = None
            self._kept_why = why
            self._keep_value(value, why)
            return
        if not self.with_time or moment.tzinfo is None:
            self._given = None
            self.edit.set_moment(moment.replace(tzinfo=None))
            return
        self.edit.set_moment(moment)
        self._given = (self.edit.text(), value)
        log.debug("%s: kept with its offset: %s", self.spec.path, value)

    def _unshowable(self, value: str, moment: dt.datetime) -> str:
        """Why value would change if shown on the line ("" if it would not)."""
        if not self.with_time and len(value.strip()) > len("YYYY-MM-DD"):
            return f"a date and time ({value.strip()}), and this field takes a date"
        if self.with_time and moment.microsecond:
            return (
                f"a time with a fraction of a second ({value.strip()}), "
                "which this field does not show"
            )
        return ""

    def _on_check_toggled(self, checked: bool) -> None:
        self.edit.setEnabled(checked)
        self.changed.emit()

    def _on_edit_moment_changed(self) -> None:
        self.changed.emit()


class DateEditor(_MomentEditor):
    """A date, sent as YYYY-MM-DD."""

    with_time = False


class DateTimeEditor(_MomentEditor):
    """A wall time, sent as YYYY-MM-DDThh:mm:ss with no offset."""

    with_time = True
