"""Forms as the gallery pictures show them: lists in lists, number boxes,
variants with defaults, fixed values, defaults of a list's items, and what
`python -m app preview` says of a manifest whose scripts have no name.

Each test drives the real ReportForm offscreen, with the app's theme, on a
small schema of its own: what the user sees drawn and what the form sends.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QWidget
from pytestqt.qtbot import QtBot
from support.window import app_theme
from test_preview import assert_refused, preview

from app.errors import UsageError
from app.manifest import Script, load_manifest
from app.preview import chosen_script
from app.validation import field_errors
from widgets.fields.constant import ConstantEditor
from widgets.form import ReportForm
from widgets.preview import drawn_form
from widgets.theme import BORDER

WINDOW = {
    "type": "object",
    "title": "Opening hours",
    "properties": {
        "opens": {"type": "string", "format": "time", "default": "08:00:00"},
        "closes": {"type": "string", "format": "time", "default": "17:00:00"},
    },
    "required": ["opens", "closes"],
}
STOPS = {
    "type": "object",
    "required": ["stops"],
    "properties": {
        "stops": {
            "type": "array",
            "title": "Stops",
            "items": {
                "type": "object",
                "title": "Stop",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "title": "Name"},
                    "radius_m": {"type": "integer", "minimum": 10, "default": 150},
                    "windows": {"type": "array", "items": WINDOW},
                },
            },
            "default": [
                {
                    "name": "Depot",
                    "windows": [{"opens": "06:00:00", "closes": "09:00:00"}],
                },
                {"name": "Yard"},
            ],
        }
    },
}
# Inner items with a fixed value: its text is styled only once drawn, and
# grows then; the picture must wait for the layouts to take that in.
SHIFTS = {
    "type": "object",
    "required": ["sites"],
    "properties": {
        "sites": {
            "type": "array",
            "items": {
                "type": "object",
                "title": "Site",
                "properties": {
                    "name": {"type": "string"},
                    "shifts": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "title": "Shift",
                            "properties": {
                                "kind": {"const": "open"},
                                "starts": {"type": "string", "format": "time"},
                            },
                            "required": ["kind", "starts"],
                        },
                    },
                },
            },
            "default": [
                {"name": "A", "shifts": [{"kind": "open", "starts": "06:00:00"}]}
            ],
        }
    },
}
RULE = {
    "type": "object",
    "required": ["rule"],
    "properties": {
        "rule": {
            "title": "Rule",
            "oneOf": [
                {
                    "title": "Over a speed",
                    "type": "object",
                    "required": ["kind", "kph"],
                    "properties": {
                        "kind": {"const": "speed", "default": "speed"},
                        "kph": {"type": "number", "minimum": 1, "default": 100},
                        "for_seconds": {"type": "integer", "default": 30},
                    },
                },
                {
                    "title": "Leaving a place",
                    "type": "object",
                    "required": ["kind", "place"],
                    "properties": {
                        "kind": {"const": "place", "default": "place"},
                        "place": {"type": "string"},
                    },
                },
            ],
        }
    },
}
MIXED = {
    "type": "object",
    "properties": {
        "label": {"type": "string", "title": "Label"},
        "count": {"type": "integer", "title": "Count", "default": 3},
        "ratio": {"type": "number", "title": "Ratio", "default": 0.5},
        "size": {"enum": ["s", "m"], "title": "Size"},
    },
}
SPEED_DEFAULTS = {"kind": "speed", "kph": 100, "for_seconds": 30}


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[QApplication]:
    with app_theme(qapp):
        yield qapp


def shown_form(qtbot: QtBot, schema: dict[str, Any]) -> ReportForm:
    form = ReportForm()
    qtbot.addWidget(form)
    form.resize(760, 900)
    form.set_schema(schema)
    form.show()
    qtbot.waitExposed(form)
    return form


def script_of(schema: dict[str, Any]) -> Script:
    manifest = {"scripts": [{"script": "s", "title": "S", "parameters_schema": schema}]}
    script = load_manifest(json.dumps(manifest).encode(), source="test").script("s")
    assert script is not None
    return script


def crushed(form: ReportForm) -> list[tuple[str, int, int]]:
    """The editors drawn shorter than they need, or not drawn at all."""
    return [
        (editor.spec.path, editor.height(), editor.sizeHint().height())
        for editor in form.rows.editors()
        if not editor.isVisible() or editor.height() < editor.sizeHint().height()
    ]


def control(form: ReportForm, path: str) -> QWidget:
    editor = form.editor(path)
    assert editor is not None, path
    return editor.focus_widgets()[0]


def test_a_list_inside_a_list_item_shows_its_items_whole_in_the_picture(
    themed: QApplication,
) -> None:
    for schema, inner in (
        (STOPS, "stops/0/windows/0/opens"),
        (SHIFTS, "sites/0/shifts/0/starts"),
    ):
        with drawn_form(script_of(schema)) as (_card, form):
            assert crushed(form) == []
            shown = control(form, inner)
            assert shown.isVisible()
            assert shown.height() >= shown.sizeHint().height()


def test_a_list_inside_a_list_item_shows_added_items_whole_in_the_window(
    themed: QApplication, qtbot: QtBot
) -> None:
    form = shown_form(qtbot, STOPS)

    add = form.editor("stops/1/windows").add_button  # type: ignore[union-attr]
    add.click()

    qtbot.waitUntil(lambda: crushed(form) == [])
    assert control(form, "stops/1/windows/0/closes").isVisible()


def test_number_boxes_are_as_tall_and_framed_as_the_text_boxes(
    themed: QApplication, qtbot: QtBot
) -> None:
    form = shown_form(qtbot, MIXED)
    text, count, ratio = (control(form, p) for p in ("label", "count", "ratio"))
    size = control(form, "size")

    for box in (count, ratio):
        assert box.height() == text.height()
        # Within a pixel of the drop-down, as text boxes are.
        assert abs(box.height() - size.height()) <= 1
        # The same 1 px border at the top as a text box, not a flat frame.
        top = box.grab().toImage().pixelColor(box.width() // 2, 0)
        assert top == QColor(BORDER), (box, top.name())
    assert text.grab().toImage().pixelColor(text.width() // 2, 0) == QColor(BORDER)


def test_a_variant_starts_with_the_defaults_of_its_fields(
    themed: QApplication, qtbot: QtBot
) -> None:
    form = shown_form(qtbot, RULE)

    assert form.values() == {"rule": SPEED_DEFAULTS}
    assert control(form, "rule/kph").text() == "100"  # type: ignore[attr-defined]
    assert field_errors(RULE, form.values()) == {}


def test_switching_variants_gives_each_its_defaults_and_keeps_what_was_typed(
    themed: QApplication, qtbot: QtBot
) -> None:
    form = shown_form(qtbot, RULE)
    chooser = form.editor("rule").rows.chooser.combo  # type: ignore[union-attr]
    kph = form.editor("rule/kph")
    assert kph is not None
    kph.set_value(120)

    chooser.setCurrentIndex(1)

    # The other variant's fixed kind, not the one typed before.
    assert form.values() == {"rule": {"kind": "place"}}
    assert field_errors(RULE, form.values()) == {"rule/place": "is required"}

    chooser.setCurrentIndex(0)

    assert form.values() == {"rule": {**SPEED_DEFAULTS, "kph": 120}}


def test_a_fixed_value_is_text_not_a_list_and_is_sent(
    themed: QApplication, qtbot: QtBot
) -> None:
    form = shown_form(qtbot, RULE)
    kind = form.editor("rule/kind")

    assert isinstance(kind, ConstantEditor)
    assert kind.findChildren(QComboBox) == []
    text = kind.focus_widgets()[0]
    assert isinstance(text, QLabel)
    assert text.isVisible()
    assert text.text() == "speed"
    assert form.values()["rule"]["kind"] == "speed"


def test_an_optional_fixed_value_is_sent_when_ticked_and_a_wrong_one_kept(
    themed: QApplication, qtbot: QtBot
) -> None:
    schema = {"type": "object", "properties": {"version": {"const": 2}}}
    form = shown_form(qtbot, schema)
    box = control(form, "version")

    assert form.values() == {}
    box.click()  # type: ignore[attr-defined]
    assert form.values() == {"version": 2}

    form.set_values({"version": 3})
    assert form.values() == {"version": 3}
    assert field_errors(schema, form.values()) != {}


def test_items_of_a_list_default_get_the_defaults_of_their_fields(
    themed: QApplication, qtbot: QtBot
) -> None:
    form = shown_form(qtbot, STOPS)

    assert form.values() == {
        "stops": [
            {
                "name": "Depot",
                "radius_m": 150,
                "windows": [{"opens": "06:00:00", "closes": "09:00:00"}],
            },
            {"name": "Yard", "radius_m": 150},
        ]
    }
    assert control(form, "stops/1/radius_m").text() == "150"  # type: ignore[attr-defined]


def test_loaded_items_come_back_as_loaded_without_defaults(
    themed: QApplication, qtbot: QtBot
) -> None:
    form = shown_form(qtbot, STOPS)
    loaded = {"stops": [{"name": "Quay", "windows": [{"opens": "07:00:00"}]}]}

    form.set_values(loaded)

    assert form.values() == loaded

    form.editor("stops").add_button.click()  # type: ignore[union-attr]
    added = form.values()["stops"][1]
    assert added == {"radius_m": 150}


def test_loaded_variant_values_come_back_as_loaded(
    themed: QApplication, qtbot: QtBot
) -> None:
    form = shown_form(qtbot, RULE)
    loaded = {"rule": {"kind": "speed", "kph": 80}}

    form.set_values(loaded)

    assert form.values() == loaded


def test_preview_names_why_scripts_without_a_name_were_left_out(
    tmp_path: Path,
) -> None:
    manifest = tmp_path / "unnamed.json"
    entry = {"title": "Speeding", "parameters_schema": {"type": "object"}}
    manifest.write_text(json.dumps({"scripts": [entry]}), encoding="utf-8")

    result = preview(manifest, "--script", "speeding", "--png", tmp_path / "s.png")

    line = assert_refused(result, "'speeding'", "its scripts are: none")
    assert "the script has no name (script) (/scripts/0/script)" in line


def test_a_missing_script_among_named_ones_is_said_plainly() -> None:
    document = {"scripts": [{"script": "trips", "title": "Trips"}]}
    manifest = load_manifest(json.dumps(document).encode(), source="m.json")

    with pytest.raises(UsageError) as caught:
        chosen_script(manifest, "speeding", Path("m.json"))

    assert str(caught.value) == (
        "the manifest 'm.json' has no script 'speeding'; its scripts are: trips"
    )
