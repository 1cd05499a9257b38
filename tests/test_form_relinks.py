"""Fields a condition builds again stay linked, and list items read right.

The period choice above `from`/`to` and the speed that follows the distance
in `$prefs` are links between fields; when a condition makes those fields
required (so they are built again), the links must hold the new fields.
Groups in a list are titled without the required mark.
"""

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel
from pytestqt.qtbot import QtBot
from support.window import FORM_CONTEXT

from widgets.form import ReportForm

DETAILED = {"properties": {"detailed": {"const": True}}, "required": ["detailed"]}
PERIOD_SCHEMA = {
    "type": "object",
    "properties": {
        "detailed": {"type": "boolean", "title": "Detailed"},
        "from": {"type": "string", "format": "date-time", "peg_type": "$from"},
        "to": {"type": "string", "format": "date-time", "peg_type": "$to"},
    },
    "if": DETAILED,
    "then": {"required": ["from", "to"]},
}
UNITS_SCHEMA = {
    "type": "object",
    "properties": {
        "prefs": {
            "type": "object",
            "peg_type": "$prefs",
            "properties": {
                "detailed": {"type": "boolean", "title": "Detailed"},
                "distance": {"type": "string", "enum": ["km", "mile"]},
                "speed": {"type": "string", "enum": ["kph", "mph"]},
            },
            "if": DETAILED,
            "then": {"required": ["distance", "speed"]},
        }
    },
}
BANDS_SCHEMA = {
    "type": "object",
    "properties": {
        "bands": {
            "type": "array",
            "title": "Bands",
            "items": {
                "type": "object",
                "title": "Band",
                "properties": {"low": {"type": "integer"}},
                "required": ["low"],
            },
        }
    },
    "required": ["bands"],
}


def make_form(qtbot: QtBot, schema: dict[str, Any]) -> ReportForm:
    form = ReportForm()
    qtbot.addWidget(form)
    form.resize(700, 900)
    form.set_schema(schema, context=FORM_CONTEXT)
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    return form


def choose(qtbot: QtBot, box: QComboBox, label: str) -> None:
    """Focus a drop-down list and step to label with the arrow keys."""
    box.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(box.hasFocus)
    wanted = box.findText(label)
    assert wanted >= 0, label
    while box.currentIndex() != wanted:
        key = Qt.Key.Key_Down if box.currentIndex() < wanted else Qt.Key.Key_Up
        qtbot.keyClick(box, key)


def tick(qtbot: QtBot, form: ReportForm, path: str) -> None:
    editor = form.editor(path)
    assert editor is not None
    box = editor.focus_widgets()[0]
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)


def test_the_period_choice_fills_from_and_to_built_again_by_a_condition(
    qtbot: QtBot,
) -> None:
    form = make_form(qtbot, PERIOD_SCHEMA)
    before = form.editor("from")
    tick(qtbot, form, "detailed")
    assert form.values()["detailed"] is True
    # The condition made from/to required: they are new fields now.
    assert form.editor("from") is not before

    assert form.period is not None
    choose(qtbot, form.period.combo, "Yesterday")
    values = form.values()
    assert (values["from"], values["to"]) == (
        "2026-12-03T00:00:00",
        "2026-12-04T00:00:00",
    )
    assert form.period.combo.currentText() == "Yesterday"

    # One period row above the fields, not one per rebuild.
    def period_rows() -> int:
        combos = [c for c in form.findChildren(QComboBox) if c.isVisibleTo(form)]
        return sum(c.findText("Last 7 days") >= 0 for c in combos)

    qtbot.waitUntil(lambda: period_rows() == 1)

    choose(qtbot, form.period.combo, "Last month")
    assert form.values()["from"] == "2026-11-01T00:00:00"


def test_speed_follows_distance_built_again_by_a_condition(qtbot: QtBot) -> None:
    form = make_form(qtbot, UNITS_SCHEMA)
    tick(qtbot, form, "prefs/detailed")
    assert form.values()["prefs"]["detailed"] is True

    distance = form.editor("prefs/distance")
    assert distance is not None
    choose(qtbot, distance.combo, "mile")  # type: ignore[attr-defined]
    assert form.values()["prefs"]["speed"] == "mph"
    choose(qtbot, distance.combo, "km")  # type: ignore[attr-defined]
    assert form.values()["prefs"]["speed"] == "kph"


def test_groups_in_a_list_are_titled_without_the_required_mark(
    qtbot: QtBot,
) -> None:
    form = make_form(qtbot, BANDS_SCHEMA)
    bands = form.editor("bands")
    assert bands is not None
    assert bands.box.title() == "Bands *"  # type: ignore[attr-defined]
    add = bands.add_button  # type: ignore[attr-defined]
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)

    titles = [
        form.editor(f"bands/{n}").box.title()  # type: ignore[union-attr]
        for n in range(2)
    ]
    assert titles == ["Band 1", "Band 2"]
    # The field inside an item is still marked: it must be filled in.
    labels = [label.text() for label in bands.findChildren(QLabel)]
    assert labels.count("Low *") == 2
