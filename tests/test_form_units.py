"""Units in a report form: the speed unit follows the distance unit.

The form is driven with the keyboard, as a person picks from a drop-down
list, and what is checked is what the form shows and what it would send.
"""

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox
from pytestqt.qtbot import QtBot
from support.window import FORM_CONTEXT, engine_script

from widgets.form import ReportForm


def make_form(qtbot: QtBot, name: str = "trips") -> ReportForm:
    form = ReportForm()
    qtbot.addWidget(form)
    form.resize(700, 900)
    form.set_schema(engine_script(name).schema, context=FORM_CONTEXT)
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    return form


def combo(form: ReportForm, path: str) -> QComboBox:
    editor: Any = form.editor(path)
    assert editor is not None
    return editor.combo


def choose(qtbot: QtBot, form: ReportForm, path: str, label: str) -> None:
    """Focus a drop-down list and step to label with the arrow keys."""
    box = combo(form, path)
    box.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(box.hasFocus)
    wanted = box.findText(label)
    assert wanted >= 0, label
    while box.currentIndex() != wanted:
        key = Qt.Key.Key_Down if box.currentIndex() < wanted else Qt.Key.Key_Up
        qtbot.keyClick(box, key)


def units(form: ReportForm) -> tuple[str, str]:
    prefs = form.values()["prefs"]
    return prefs["distance"], prefs["speed"]


def test_choosing_miles_makes_speeds_mph_and_km_makes_them_kph(qtbot):
    form = make_form(qtbot)
    assert units(form) == ("km", "kph")

    choose(qtbot, form, "prefs/distance", "mile")
    assert combo(form, "prefs/speed").currentText() == "mph"
    assert units(form) == ("mile", "mph")

    choose(qtbot, form, "prefs/distance", "km")
    assert combo(form, "prefs/speed").currentText() == "kph"
    assert units(form) == ("km", "kph")


def test_a_speed_chosen_by_hand_is_kept_when_the_distance_changes(qtbot):
    form = make_form(qtbot, "fleet_status")

    choose(qtbot, form, "prefs/speed", "mph")
    choose(qtbot, form, "prefs/distance", "mile")
    choose(qtbot, form, "prefs/distance", "km")

    assert units(form) == ("km", "mph")
    assert combo(form, "prefs/speed").currentText() == "mph"


def test_units_given_to_the_form_are_shown_as_given(qtbot):
    form = make_form(qtbot, "idling")

    form.set_values({**form.values(), "prefs": {"distance": "mile", "speed": "kph"}})

    assert units(form) == ("mile", "kph")
