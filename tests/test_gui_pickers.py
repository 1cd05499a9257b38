"""The Pegasus pickers of a report form, offscreen, driven as a person would.

Resources by name among thousands, the time zone by typing part of its
name, units from the user's saved preferences, quick periods in the
report's zone on the days New York changes its clocks, and a peg_type the
app does not know, which must read as the plain JSON Schema field it is.
"""

import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QWidget
from pytestqt.qtbot import QtBot

from app.forms import FormContext
from widgets.form import ReportForm
from widgets.resource_picker import ResourcePicker

KINDS = ["vehicles", "groups", "geofences", "assets", "triggers", "users"]
NEW_YORK = "America/New_York"


def picker_schema(*kinds: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            kind: {
                "type": "array",
                "items": {"type": "integer"},
                "peg_type": f"${kind}",
            }
            for kind in kinds
        },
    }


def make_form(
    qtbot: QtBot, schema: dict[str, Any], context: FormContext | None = None
) -> ReportForm:
    form = ReportForm()
    qtbot.addWidget(form)
    form.resize(700, 900)
    form.set_schema(schema, context=context or FormContext(tz=NEW_YORK))
    form.show()
    return form


def fleet(size: int) -> list[tuple[int, str]]:
    kinds = ["Truck", "Van", "Trailer", "Pickup"]
    return [(n, f"{kinds[n % 4]} {n}") for n in range(1, size + 1)]


def shown_picker(qtbot: QtBot, items: list[tuple[int, str]]) -> ResourcePicker:
    picker = ResourcePicker("vehicles")
    qtbot.addWidget(picker)
    picker.resize(400, 300)
    picker.show()
    picker.set_items(items)
    return picker


# --- Resources among thousands --------------------------------------------------------


def test_a_fleet_of_twenty_thousand_adds_no_widget_per_name(qtbot: QtBot) -> None:
    small = shown_picker(qtbot, fleet(10))
    large = shown_picker(qtbot, fleet(20_000))

    assert large.proxy.rowCount() == 20_000
    assert len(large.findChildren(QWidget)) == len(small.findChildren(QWidget))
    assert large.view.uniformItemSizes()


def test_the_search_narrows_the_list_letter_by_letter(qtbot: QtBot) -> None:
    picker = shown_picker(qtbot, fleet(5000))
    counts = []
    for letter in "van 12":
        qtbot.keyClicks(picker.filter, letter)
        counts.append(picker.proxy.rowCount())

    assert counts == sorted(counts, reverse=True)
    expected = sorted(
        (name for _, name in fleet(5000) if "van 12" in name.lower()),
        key=lambda name: int(name.split()[1]),
    )
    assert picker.visible_names() == expected
    assert picker.shown.text() == f"· {len(expected)} of 5,000 shown"

    picker.filter.clear()
    qtbot.keyClicks(picker.filter, "zeppelin")
    assert picker.visible_names() == []
    assert picker.shown.text() == "· no vehicles match"
    assert not picker.select_button.isEnabled()


def test_names_are_in_the_order_a_person_counts(qtbot: QtBot) -> None:
    picker = shown_picker(
        qtbot, [(1, "Truck 10"), (2, "truck 2"), (3, "Truck 1"), (4, "Bus")]
    )

    assert picker.visible_names() == ["Bus", "Truck 1", "truck 2", "Truck 10"]


def test_select_shown_and_clear_shown_act_on_the_search_only(qtbot: QtBot) -> None:
    picker = shown_picker(qtbot, fleet(5000))
    qtbot.keyClicks(picker.filter, "trailer 49")
    assert picker.select_button.text() == "Select shown"
    assert picker.clear_button.text() == "Clear shown"

    qtbot.mouseClick(picker.select_button, Qt.MouseButton.LeftButton)
    # Ticked in the list's order, which is the numbers' order here.
    trailers = sorted(rid for rid, name in fleet(5000) if "Trailer 49" in name)
    assert picker.selected_ids() == trailers
    assert picker.count.text() == f"{len(trailers)} selected"

    picker.filter.clear()
    qtbot.keyClicks(picker.filter, "truck 4")
    qtbot.mouseClick(picker.select_button, Qt.MouseButton.LeftButton)
    trucks = [rid for rid, name in fleet(5000) if "Truck 4" in name]
    assert sorted(picker.selected_ids()) == sorted(trailers + trucks)

    qtbot.mouseClick(picker.clear_button, Qt.MouseButton.LeftButton)
    assert picker.selected_ids() == trailers

    picker.filter.clear()
    assert picker.select_button.text() == "Select all"
    qtbot.mouseClick(picker.select_button, Qt.MouseButton.LeftButton)
    assert picker.count.text() == "5,000 selected"
    qtbot.mouseClick(picker.clear_button, Qt.MouseButton.LeftButton)
    assert picker.count.text() == "None selected"


def test_ids_keep_the_order_given_and_new_picks_follow(qtbot: QtBot) -> None:
    form = make_form(qtbot, picker_schema("vehicles"))
    form.set_resource_choices("vehicles", fleet(50))
    picker = form.editor("vehicles").picker  # type: ignore[union-attr]

    form.set_values({"vehicles": [30, 4, 999]})
    assert form.values() == {"vehicles": [30, 4, 999]}
    assert picker.visible_names()[0] == "#999 (not found)"

    qtbot.keyClicks(picker.filter, "van 17")
    qtbot.keyClick(picker.filter, Qt.Key.Key_Down)
    qtbot.keyClick(picker.view, Qt.Key.Key_Space)
    assert form.values() == {"vehicles": [30, 4, 999, 17]}


def test_a_list_the_picker_cannot_hold_comes_back_as_given(qtbot: QtBot) -> None:
    form = make_form(qtbot, picker_schema("vehicles"))
    form.set_resource_choices("vehicles", fleet(5))
    picker = form.editor("vehicles").picker  # type: ignore[union-attr]

    for odd in ([], [2, 2], [3, "x"]):
        form.set_values({"vehicles": odd})
        assert form.values() == {"vehicles": odd}

    # Once the user picks, the list is what the picker shows.
    qtbot.keyClicks(picker.filter, "trailer 2")
    qtbot.mouseClick(picker.select_button, Qt.MouseButton.LeftButton)
    assert form.values() == {"vehicles": [3, 2]}


@pytest.mark.parametrize("kind", KINDS)
def test_each_resource_is_picked_by_name_and_sent_as_ids(
    qtbot: QtBot, kind: str
) -> None:
    form = make_form(qtbot, picker_schema(*KINDS))
    assert form.resources_needed() == set(KINDS)
    for other in KINDS:
        form.set_resource_choices(other, [(7, f"{other} seven"), (9, "Shared")])

    picker = form.editor(kind).picker  # type: ignore[union-attr]
    assert picker.filter.placeholderText() == f"Search {kind}"
    qtbot.keyClicks(picker.filter, "seven")
    qtbot.mouseClick(picker.select_button, Qt.MouseButton.LeftButton)

    assert form.values() == {kind: [7]}
    form.set_values({kind: [9, 7]})
    assert picker.count.text() == "2 selected"
    assert form.values() == {kind: [9, 7]}


# --- The time zone --------------------------------------------------------------------

TZ_SCHEMA = {
    "type": "object",
    "properties": {"tz": {"type": "string", "peg_type": "$tz", "default": "UTC"}},
}


def test_the_zone_starts_as_the_users_and_is_found_by_typing(qtbot: QtBot) -> None:
    form = make_form(qtbot, TZ_SCHEMA, FormContext(tz="Asia/Kolkata"))
    combo: QComboBox = form.editor("tz").combo  # type: ignore[union-attr]
    assert form.values() == {"tz": "Asia/Kolkata"}
    assert combo.currentText() == "Asia/Kolkata"

    line = combo.lineEdit()
    assert line is not None
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, "chicago")
    popup = combo.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    offered = [
        popup.model().index(row, 0).data() for row in range(popup.model().rowCount())
    ]
    assert offered == ["America/Chicago"]

    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert form.values() == {"tz": "America/Chicago"}


def test_a_user_zone_the_schema_does_not_offer_leaves_its_default(
    qtbot: QtBot,
) -> None:
    schema = {
        "type": "object",
        "properties": {
            "tz": {
                "type": "string",
                "peg_type": "$tz",
                "enum": ["UTC", "America/Bogota"],
                "default": "America/Bogota",
            }
        },
    }

    form = make_form(qtbot, schema, FormContext(tz="Europe/Madrid"))

    assert form.values() == {"tz": "America/Bogota"}


# --- Units and language ---------------------------------------------------------------

PREFS_SCHEMA = {
    "type": "object",
    "properties": {
        "prefs": {
            "title": "Units and language",
            "type": "object",
            "peg_type": "$prefs",
            "properties": {
                "distance": {"enum": ["km", "mile"], "default": "km"},
                "speed": {"enum": ["kph", "mph"], "default": "kph"},
                "volume": {"enum": ["liter", "gallon"], "default": "liter"},
                "temperature": {"enum": ["C", "F"], "default": "C"},
                "language": {"enum": ["en", "es", "fr"], "default": "en"},
            },
        }
    },
}


def shown_units(form: ReportForm) -> dict[str, str]:
    names = ["distance", "speed", "volume", "temperature", "language"]
    return {
        name: form.editor(f"prefs/{name}").combo.currentText()  # type: ignore[union-attr]
        for name in names
    }


def test_units_and_language_start_as_the_user_saved_them(qtbot: QtBot) -> None:
    saved = {
        "distance": "mile",
        "speed": "mph",
        "volume": "gallon",
        "temperature": "F",
        "language": "es",
    }

    form = make_form(qtbot, PREFS_SCHEMA, FormContext(prefs=saved))

    assert shown_units(form) == saved
    assert form.values() == {"prefs": saved}


def test_units_start_at_the_schema_defaults_without_saved_ones(qtbot: QtBot) -> None:
    form = make_form(qtbot, PREFS_SCHEMA, FormContext(prefs={"language": "de"}))

    assert shown_units(form) == {
        "distance": "km",
        "speed": "kph",
        "volume": "liter",
        "temperature": "C",
        "language": "en",
    }


# --- Quick periods --------------------------------------------------------------------

PERIOD_SCHEMA = {
    "type": "object",
    "properties": {
        "from": {"type": "string", "format": "date-time", "peg_type": "$from"},
        "to": {"type": "string", "format": "date-time", "peg_type": "$to"},
        "tz": {"type": "string", "peg_type": "$tz"},
    },
    "required": ["from", "to"],
}


def choose_period(qtbot: QtBot, form: ReportForm, label: str) -> tuple[str, str]:
    """Pick a quick period with the keyboard; the from and to it gives."""
    assert form.period is not None
    combo = form.period.combo
    combo.setFocus()
    wanted = combo.findText(label)
    assert wanted >= 0, label
    while combo.currentIndex() != wanted:
        key = Qt.Key.Key_Down if combo.currentIndex() < wanted else Qt.Key.Key_Up
        qtbot.keyClick(combo, key)
    values = form.values()
    return values["from"], values["to"]


def period_form(qtbot: QtBot, context: FormContext) -> ReportForm:
    form = make_form(qtbot, PERIOD_SCHEMA, context)
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    return form


def days(first: str, end: str) -> tuple[str, str]:
    return f"2026-{first}T00:00:00", f"2026-{end}T00:00:00"


@pytest.mark.parametrize(
    ("today", "label", "expected"),
    [
        # 8 March 2026: New York springs forward, a day of 23 hours.
        (dt.date(2026, 3, 8), "Today", days("03-08", "03-09")),
        (dt.date(2026, 3, 9), "Yesterday", days("03-08", "03-09")),
        (dt.date(2026, 3, 8), "Last 7 days", days("03-02", "03-09")),
        (dt.date(2026, 3, 8), "This month", days("03-01", "03-09")),
        (dt.date(2026, 3, 8), "Last month", days("02-01", "03-01")),
        # 1 November 2026: it falls back, a day of 25 hours.
        (dt.date(2026, 11, 1), "Today", days("11-01", "11-02")),
        (dt.date(2026, 12, 1), "Last month", days("11-01", "12-01")),
    ],
)
def test_quick_periods_on_the_days_new_york_changes_its_clocks(
    qtbot: QtBot, today: dt.date, label: str, expected: tuple[str, str]
) -> None:
    form = period_form(qtbot, FormContext(tz=NEW_YORK, today=today))

    assert choose_period(qtbot, form, label) == expected


def test_today_is_the_date_in_the_reports_zone_not_the_machines(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 04:30 UTC on 8 March: still the 7th in New York, already the 8th in UTC.
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    now = dt.datetime(2026, 3, 8, 4, 30, tzinfo=dt.UTC)
    form = period_form(qtbot, FormContext(tz=NEW_YORK, now=now))

    assert choose_period(qtbot, form, "Today") == (
        "2026-03-07T00:00:00",
        "2026-03-08T00:00:00",
    )
    assert form.values()["tz"] == NEW_YORK

    form.set_values({**form.values(), "tz": "UTC"})
    assert form.period is not None
    form.period.refresh()
    assert (form.values()["from"], form.values()["to"]) == (
        "2026-03-08T00:00:00",
        "2026-03-09T00:00:00",
    )


# --- A peg_type the app does not know -------------------------------------------------


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "minimum": 1, "maximum": 9},
        {"type": "string"},
        {"type": "string", "format": "date"},
        {"type": "boolean"},
        {"type": "string", "enum": ["low", "high"]},
        {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
        {"type": "array", "items": {"type": "integer"}},
        {"type": "object", "properties": {"depth": {"type": "number"}}},
    ],
)
def test_an_unknown_peg_type_is_the_plain_field_of_its_schema(
    qtbot: QtBot, schema: dict[str, Any]
) -> None:
    plain = make_form(qtbot, {"type": "object", "properties": {"field": schema}})
    pegged = make_form(
        qtbot,
        {
            "type": "object",
            "properties": {"field": {**schema, "peg_type": "$spaceships"}},
        },
    )

    plain_editor, pegged_editor = plain.editor("field"), pegged.editor("field")
    assert type(pegged_editor) is type(plain_editor)
    assert pegged.resources_needed() == set()
    assert pegged.values() == plain.values()
    assert pegged.findChildren(ResourcePicker) == []
