"""The report form, offscreen, filled by driving its widgets as a user would."""

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from app.forms import FieldSpec, FormContext
from app.manifest import Script, load_manifest
from app.validation import field_errors
from widgets.form import ReportForm

CORPUS = Path(__file__).parent / "data" / "manifests"
CONTEXT = FormContext(
    tz="America/New_York", prefs={"distance": "mile"}, today=dt.date(2026, 3, 8)
)
RESOURCES = {
    "vehicles": [(101, "Truck 01"), (102, "Van 02"), (103, "Truck 03")],
    "groups": [(201, "North"), (202, "South")],
    "geofences": [(301, "Depot A"), (302, "Warehouse B")],
    "assets": [(401, "Ana Pérez"), (402, "Bo Chen")],
    "triggers": [(501, "Harsh braking"), (502, "Overspeed")],
}
JSON_TYPED = {
    "pair": ('["minor", 0]', ["minor", 0]),
}
WALL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def all_scripts() -> list[tuple[str, str]]:
    return [
        (path.name, script.script)
        for path in sorted(CORPUS.glob("*.json"))
        for script in load_manifest(path.read_text(), source=path.name).scripts
    ]


def corpus_script(manifest: str, name: str) -> Script:
    path = CORPUS / manifest
    script = load_manifest(path.read_text(), source=str(path)).script(name)
    assert script is not None
    return script


def make_form(qtbot, schema: dict[str, Any], context=CONTEXT) -> ReportForm:
    form = ReportForm()
    qtbot.addWidget(form)
    form.resize(700, 900)
    form.set_schema(schema, context=context)
    form.show()
    return form


def give_resources(form: ReportForm) -> None:
    for resource in form.resources_needed():
        form.set_resource_choices(resource, RESOURCES[resource])


# --- Filling each kind of field as a user would ------------------------------


def pick_resource(qtbot, form: ReportForm, spec: FieldSpec) -> Any:
    """Type part of the last name, tick it with Space, clear the search."""
    rid, name = RESOURCES[spec.resource][-1]
    picker = form.editor(spec.path).picker
    qtbot.keyClicks(picker.filter, name[:3])
    row = picker.visible_names().index(name)

    picker.view.setFocus()
    picker.view.setCurrentIndex(picker.proxy.index(row, 0))
    qtbot.keyClick(picker.view, Qt.Key.Key_Space)
    picker.filter.selectAll()
    qtbot.keyClick(picker.filter, Qt.Key.Key_Backspace)
    return [rid]


def type_number(qtbot, form: ReportForm, spec: FieldSpec) -> Any:
    spin = form.editor(spec.path).spin
    point = spin.locale().decimalPoint()
    text, value = ("7", 7) if spec.kind == "integer" else (f"12{point}5", 12.5)
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    return value


def choose_last(qtbot, form: ReportForm, spec: FieldSpec) -> Any:
    combo = form.editor(spec.path).combo
    if combo.isEditable():
        # Searchable (time zones): type the name and press Enter.
        combo.lineEdit().selectAll()
        qtbot.keyClicks(combo.lineEdit(), "Europe/Madrid")
        qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Return)
        return "Europe/Madrid"
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_End)
    return spec.choices[-1][0]


def tick_last(qtbot, form: ReportForm, spec: FieldSpec) -> Any:
    editor = form.editor(spec.path)
    before = editor.value() if isinstance(editor.value(), list) else []
    qtbot.mouseClick(editor.boxes[-1], Qt.MouseButton.LeftButton)
    last = spec.choices[-1][0]
    return [value for value, _ in spec.choices if value in [*before, last]]


def toggle(qtbot, form: ReportForm, spec: FieldSpec) -> Any:
    box = form.editor(spec.path).box
    was = box.isChecked()
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    return not was


def type_text(qtbot, form: ReportForm, spec: FieldSpec) -> Any:
    text = "ops@example.org" if spec.schema.get("format") == "email" else "hello"
    qtbot.keyClicks(form.editor(spec.path).line, text)
    return text


def type_json(qtbot, form: ReportForm, spec: FieldSpec) -> Any:
    typed, value = JSON_TYPED[spec.name]
    qtbot.keyClicks(form.editor(spec.path).text, typed)
    return value


def choose_yesterday(qtbot, form: ReportForm, spec: FieldSpec) -> Any:
    combo = form.period.combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    return "2026-03-07T00:00:00" if spec.name == "from" else "2026-03-08T00:00:00"


def fill_group(qtbot, form: ReportForm, spec: FieldSpec) -> Any:
    return {child.name: fill(qtbot, form, child) for child in spec.children}


def add_item(qtbot, form: ReportForm, spec: FieldSpec) -> Any:
    """Press Add, fill the new item."""
    editor = form.editor(spec.path)
    before = editor.value() if isinstance(editor.value(), list) else []
    editor.add_button.setFocus()
    qtbot.keyClick(editor.add_button, Qt.Key.Key_Space)
    return [*before, fill(qtbot, form, editor.items[-1].editor.spec)]


FILLERS = {
    "resources": pick_resource,
    "integer": type_number,
    "number": type_number,
    "choice": choose_last,
    "multi_choice": tick_last,
    "boolean": toggle,
    "text": type_text,
    "json": type_json,
    "datetime": choose_yesterday,
    "object": fill_group,
    "array": add_item,
}


def fill(qtbot, form: ReportForm, spec: FieldSpec) -> Any:
    return FILLERS[spec.kind](qtbot, form, spec)


# --- The corpus, end to end ---------------------------------------------------


@pytest.mark.parametrize(("manifest", "name"), all_scripts())
def test_a_form_filled_by_a_user_gives_valid_values_that_load_back(
    qtbot, manifest, name
):
    script = corpus_script(manifest, name)
    form = make_form(qtbot, script.schema)
    give_resources(form)

    expected = {spec.name: fill(qtbot, form, spec) for spec in form.specs()}
    values = form.values()

    assert values == expected
    assert field_errors(script.validation_schema, values) == {}
    assert all(
        isinstance(values[s.name], int) for s in form.specs() if s.kind == "integer"
    )

    again = make_form(qtbot, script.schema)
    again.set_values(values)
    assert again.values() == values
    form.set_values(values)
    assert form.values() == values


@pytest.mark.parametrize(("manifest", "name"), all_scripts())
def test_untouched_optional_fields_without_a_default_are_left_out(
    qtbot, manifest, name
):
    script = corpus_script(manifest, name)
    form = make_form(qtbot, script.schema)

    values = form.values()
    for spec in form.specs():
        filled_by_form = spec.peg_type in ("$from", "$to", "$tz", "$prefs")
        if not (spec.required or spec.has_default or filled_by_form):
            assert spec.name not in values, spec.name
    assert not [v for v in values.values() if v in ("", [], {})]
    assert set(values) <= set(script.schema["properties"])


def test_a_new_form_starts_with_defaults_the_users_zone_and_last_7_days(qtbot):
    form = make_form(qtbot, corpus_script("gateway-default.json", "idling").schema)

    assert form.values() == {
        "from": "2026-03-02T00:00:00",
        "to": "2026-03-09T00:00:00",
        "min_idle": 5,
        "prefs": {
            "distance": "mile",
            "speed": "kph",
            "volume": "liter",
            "language": "en",
        },
        "tz": "America/New_York",
        "formats": ["json", "csv"],
    }
    assert form.period.combo.currentText() == "Last 7 days"


# --- From and to ----------------------------------------------------------------


def test_from_and_to_are_the_wall_times_typed_with_no_offset(qtbot, monkeypatch):
    # The machine's zone skips 02:30 on this date; the value must not move.
    monkeypatch.setenv("TZ", "America/New_York")
    form = make_form(qtbot, corpus_script("doc-quirks.json", "trigger_log").schema)

    edit = form.editor("from").edit
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "2026-03-08 02:30:00")

    values = form.values()
    assert values["from"] == "2026-03-08T02:30:00"
    assert WALL_TIME.match(values["to"])
    assert form.period.combo.currentText() == "Custom"


def test_choosing_a_period_sets_both_ends_in_the_report_zone(qtbot):
    form = make_form(qtbot, corpus_script("gateway-default.json", "mileage").schema)

    form.period.combo.setFocus()
    qtbot.keyClick(form.period.combo, Qt.Key.Key_Up)  # Last 7 days -> Yesterday
    qtbot.keyClick(form.period.combo, Qt.Key.Key_Down)
    qtbot.keyClick(form.period.combo, Qt.Key.Key_Down)
    qtbot.keyClick(form.period.combo, Qt.Key.Key_Down)  # -> Last month

    assert form.period.combo.currentText() == "Last month"
    values = form.values()
    assert (values["from"], values["to"]) == (
        "2026-02-01T00:00:00",
        "2026-03-01T00:00:00",
    )


def test_a_new_zone_moves_todays_period_to_that_zones_date(qtbot):
    # Kiritimati and Pago Pago are 25 hours apart: never on the same date.
    form = make_form(
        qtbot,
        corpus_script("gateway-default.json", "idling").schema,
        context=FormContext(tz="Pacific/Kiritimati"),
    )
    form.period.choose("today")
    east = form.values()["from"]

    zone = form.editor("tz").combo.lineEdit()
    zone.selectAll()
    qtbot.keyClicks(zone, "Pacific/Pago_Pago")
    qtbot.keyClick(zone, Qt.Key.Key_Return)

    values = form.values()
    assert values["tz"] == "Pacific/Pago_Pago"
    assert values["from"] < east
    assert values["from"].endswith("T00:00:00")
    assert form.period.combo.currentText() == "Today"


# --- Numbers -------------------------------------------------------------------


def test_an_emptied_optional_number_is_left_out_and_comes_back(qtbot):
    form = make_form(qtbot, corpus_script("gateway-default.json", "idling").schema)
    spin = form.editor("min_idle").spin

    spin.setFocus()
    spin.selectAll()
    qtbot.keyClick(spin, Qt.Key.Key_Backspace)
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert "min_idle" not in form.values()
    assert spin.text() == "Not set"

    qtbot.keyClick(spin, Qt.Key.Key_Up)
    assert form.values()["min_idle"] == 5


def test_numbers_stay_within_their_bounds(qtbot):
    form = make_form(qtbot, corpus_script("gateway-default.json", "fuel_level").schema)

    threshold = form.editor("drop_threshold").spin
    threshold.setFocus()
    threshold.selectAll()
    qtbot.keyClicks(threshold, "250")
    assert form.values()["drop_threshold"] == 25

    # exclusiveMinimum 0: zero is not a capacity, so nothing is sent.
    capacity = form.editor("tank_capacity").spin
    capacity.setFocus()
    capacity.selectAll()
    qtbot.keyClicks(capacity, "0")
    qtbot.keyClick(capacity, Qt.Key.Key_Return)
    assert "tank_capacity" not in form.values()


# --- Resource pickers ----------------------------------------------------------


def test_resources_are_picked_by_name_and_sent_as_ids(qtbot):
    form = make_form(qtbot, corpus_script("gateway-default.json", "idling").schema)
    picker = form.editor("vehicles").picker
    assert picker.count.text() == "Loading…"
    assert form.resources_needed() == {"vehicles", "groups"}

    form.set_resource_choices("vehicles", RESOURCES["vehicles"])
    qtbot.keyClicks(picker.filter, "truck")
    assert picker.visible_names() == ["Truck 01", "Truck 03"]

    qtbot.keyClick(picker.filter, Qt.Key.Key_Down)  # into the list, first row
    qtbot.keyClick(picker.view, Qt.Key.Key_Down)
    qtbot.keyClick(picker.view, Qt.Key.Key_Space)
    assert form.values()["vehicles"] == [103]
    assert picker.count.text() == "1 selected"

    picker.filter.selectAll()
    qtbot.keyClicks(picker.filter, "van")
    picker.view.setCurrentIndex(picker.proxy.index(0, 0))
    qtbot.keyClick(picker.view, Qt.Key.Key_Space)
    # In the order picked, as a payload loaded back keeps its order.
    assert form.values()["vehicles"] == [103, 102]

    # Clear acts on the names the search shows; with no search, on all.
    qtbot.mouseClick(picker.clear_button, Qt.MouseButton.LeftButton)
    assert form.values()["vehicles"] == [103]
    picker.filter.clear()
    qtbot.mouseClick(picker.clear_button, Qt.MouseButton.LeftButton)
    assert "vehicles" not in form.values()


def test_ids_loaded_before_the_names_arrive_are_shown_once_they_do(qtbot):
    form = make_form(qtbot, corpus_script("gateway-default.json", "idling").schema)
    form.set_values({**form.values(), "vehicles": [103, 999]})
    assert form.values()["vehicles"] == [103, 999]

    form.set_resource_choices("vehicles", RESOURCES["vehicles"])
    picker = form.editor("vehicles").picker
    assert picker.visible_names() == [
        "#999 (not found)",
        "Truck 01",
        "Truck 03",
        "Van 02",
    ]
    assert picker.count.text() == "2 selected"
    assert form.values()["vehicles"] == [103, 999]


def test_a_form_rebuilt_for_another_report_keeps_the_names(qtbot):
    form = make_form(qtbot, corpus_script("gateway-default.json", "idling").schema)
    form.set_resource_choices("vehicles", RESOURCES["vehicles"])

    form.set_schema(corpus_script("gateway-default.json", "fuel_level").schema)
    assert form.editor("vehicles").picker.visible_names() == [
        "Truck 01",
        "Truck 03",
        "Van 02",
    ]


# --- Errors, labels, keyboard ----------------------------------------------------


def visible_labels(form: QWidget, text: str) -> list[QLabel]:
    return [
        label
        for label in form.findChildren(QLabel)
        if label.text() == text and label.isVisible()
    ]


def top_of(widget: QWidget, form: QWidget) -> int:
    return widget.mapTo(form, widget.rect().topLeft()).y()


def test_errors_show_at_their_field_and_the_rest_on_top(qtbot):
    form = make_form(qtbot, corpus_script("gateway-default.json", "speeding").schema)

    form.set_errors(
        {
            "speed_limit": "must be at most 300",
            "prefs/distance": "must be one of: km, mile",
            "bands/0/label": "must have at most 20 characters",
            "": "needs one of: vehicles, groups",
            "colour": "is not expected here",
        }
    )

    (error,) = visible_labels(form, "must be at most 300")
    speed, below = form.editor("speed_limit"), form.editor("min_duration")
    assert top_of(speed, form) < top_of(error, form) < top_of(below, form)
    assert visible_labels(form, "must be one of: km, mile")
    assert visible_labels(form, "item 1, label: must have at most 20 characters")
    assert form.message.isVisible()
    assert form.message.text() == (
        "needs one of: vehicles, groups\ncolour: is not expected here"
    )

    form.set_errors({})
    assert not visible_labels(form, "must be at most 300")
    assert not form.message.isVisible()


def test_required_fields_are_marked_and_described(qtbot):
    form = make_form(qtbot, corpus_script("gateway-default.json", "speeding").schema)

    (label,) = visible_labels(form, "Speed limit *")
    spin = form.editor("speed_limit").spin
    assert label.buddy() is spin
    assert spin.accessibleName() == "Speed limit (required)"
    assert "speed unit" in spin.toolTip()
    assert visible_labels(
        form, "Events above this speed count as speeding (in the chosen speed unit)"
    )
    assert visible_labels(form, "Minimum duration (seconds)")


def test_tab_visits_every_control_from_top_to_bottom(qtbot):
    form = make_form(qtbot, corpus_script("gateway-default.json", "idling").schema)
    give_resources(form)
    controls = form.rows.focus_chain()

    reached: list[QWidget] = []
    widget = controls[0]
    for _ in range(500):
        if widget in controls and widget not in reached:
            reached.append(widget)
        widget = widget.nextInFocusChain()
    assert reached == controls
    assert all(c.focusPolicy() & Qt.FocusPolicy.TabFocus for c in controls)
    assert controls[0] is form.period.combo
    assert controls[-1] is form.editor("formats").boxes[-1]


def test_every_edit_signals_the_new_values(qtbot):
    form = make_form(qtbot, corpus_script("gateway-default.json", "idling").schema)
    spin = form.editor("min_idle").spin
    spin.setFocus()
    spin.selectAll()

    with qtbot.waitSignal(form.values_changed) as signal:
        qtbot.keyClicks(spin, "9")
    assert signal.args == [form.values()]
    assert form.values()["min_idle"] == 9


def test_json_that_does_not_parse_is_sent_as_typed_and_said_so(qtbot):
    pair = {"type": "array", "items": [{"type": "string"}, {"type": "number"}]}
    schema = {"type": "object", "properties": {"pair": pair}}
    form = make_form(qtbot, schema)
    editor = form.editor("pair")

    qtbot.keyClicks(editor.text, "[{")
    assert form.values()["pair"] == "[{"
    assert editor.note.text().startswith("Not valid JSON yet")
    assert field_errors(schema, form.values())["pair"] == "must be a list"
    qtbot.keyClicks(editor.text, "}]")
    assert form.values()["pair"] == [{}]
