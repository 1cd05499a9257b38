"""The report page in the window: feedback as the user types, and the forms
kept for the way back to a report already opened.

The window signs in to a small gateway of the test's own (tests/support/
small_gateway.py) whose manifest holds reports with plain fields, so no
resource list is loaded and every check is about the page itself.
"""

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot
from support.small_gateway import small_gateway
from support.window import FORM_CONTEXT, WAIT_MS, sign_in

from app.controllers.icons import loopback_only
from app.controllers.report import attention_text
from app.gui import Workspace, build_workspace
from app.manifest import Script, load_manifest
from app.settings import Settings
from widgets.report_forms import KEPT_FORMS
from widgets.report_page import ReportPage

pytestmark = pytest.mark.slow

CHECKED = {
    "type": "object",
    "required": ["label"],
    "properties": {
        "min_idle": {
            "title": "Min idle",
            "type": "integer",
            "minimum": 1,
            "maximum": 300,
            "default": 5,
        },
        "label": {"type": "string", "maxLength": 5, "default": "ok"},
        "plate": {"type": "string", "pattern": "^[A-Z0-9-]+$"},
    },
}
PLAIN = {"type": "object", "properties": {"note": {"type": "string"}}}
OTHERS = [f"other_{n:02d}" for n in range(KEPT_FORMS + 1)]
MANIFEST = {
    "scripts": [
        {
            "script": "checked",
            "title": "Checked fields",
            "category": "fleet_status",
            "parameters_schema": CHECKED,
        },
        *[
            {
                "script": name,
                "title": f"Other {name[-2:]}",
                "category": "trip_analysis",
                "parameters_schema": PLAIN,
            }
            for name in OTHERS
        ],
    ]
}


@pytest.fixture
def window(
    loop: qasync.QEventLoop, qtbot: QtBot, tmp_path: Path
) -> Iterator[Workspace]:
    built = build_workspace(
        Settings.open(tmp_path / "settings.ini"), icon_hosts=loopback_only
    )
    built.window.show()
    try:
        with small_gateway(MANIFEST) as (url, _log):
            sign_in(qtbot, built, url, "ana", "secret")
            qtbot.waitUntil(lambda: built.catalog.catalog is not None, timeout=WAIT_MS)
            yield built
    finally:
        closing = loop.create_task(built.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        closing.result()
        # Deleted only after the controllers are closed (as in conftest.py).
        built.window.close()
        built.window.deleteLater()


def open_report(window: Workspace, name: str) -> ReportPage:
    assert window.window.catalog.select_script(name)
    page = window.window.report_page
    assert page.script is not None
    assert page.script.script == name
    return page


def line_of(page: ReportPage, path: str) -> QLineEdit:
    editor: Any = page.form.editor(path)
    assert editor is not None
    return editor.line


def type_over(qtbot: QtBot, line: QLineEdit, text: str) -> None:
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)


def error_at(page: ReportPage, path: str) -> str:
    row = page.form.rows.row(path)
    assert row is not None
    return row.error.text()


def test_each_error_shows_at_its_field_as_typed_and_above_run(
    qtbot: QtBot, window: Workspace
) -> None:
    page = open_report(window, "checked")
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)
    assert not page.attention_label.isVisible()

    type_over(qtbot, line_of(page, "label"), "toolong")

    # No Enter, no leaving the field: the check runs on each key.
    assert error_at(page, "label") == "must have at most 5 characters"
    assert page.attention_label.isVisible()
    assert page.attention_label.text() == "1 field needs attention: Label"
    assert not page.run_button.isEnabled()
    assert page.reason_label.text() == "To run: 'Label' must have at most 5 characters."

    type_over(qtbot, line_of(page, "plate"), "ab 12")
    assert error_at(page, "plate") != ""
    assert page.attention_label.text() == "2 fields need attention: Label, Plate"

    type_over(qtbot, line_of(page, "label"), "short")
    type_over(qtbot, line_of(page, "plate"), "AB-12")
    assert error_at(page, "label") == ""
    assert error_at(page, "plate") == ""
    assert not page.attention_label.isVisible()
    assert page.run_button.isEnabled()


def test_a_required_field_left_empty_is_named_above_run(
    qtbot: QtBot, window: Workspace
) -> None:
    page = open_report(window, "checked")
    line_of(page, "label").clear()

    assert error_at(page, "label") != ""
    assert page.attention_label.text() == "1 field needs attention: Label"
    assert not page.run_button.isEnabled()


def test_going_back_to_a_report_shows_its_kept_form_as_left(
    qtbot: QtBot, window: Workspace
) -> None:
    page = open_report(window, "checked")
    type_over(qtbot, line_of(page, "plate"), "XY-9")
    type_over(qtbot, line_of(page, "label"), "toolong")
    kept_form, kept_line = page.form, line_of(page, "plate")
    values = page.values()

    page = open_report(window, OTHERS[0])
    assert page.form is not kept_form
    type_over(qtbot, line_of(page, "note"), "other text")
    assert page.attention_label.text() == ""

    page = open_report(window, "checked")
    # The very form and field, not a copy built again.
    assert page.form is kept_form
    assert line_of(page, "plate") is kept_line
    assert page.values() == values
    # Its errors are checked again as it comes back.
    assert error_at(page, "label") == "must have at most 5 characters"
    assert page.attention_label.text() == "1 field needs attention: Label"
    assert not page.run_button.isEnabled()

    page = open_report(window, OTHERS[0])
    assert page.values() == {"note": "other text"}


def test_only_the_last_reports_keep_their_forms_and_values_outlive_them(
    qtbot: QtBot, window: Workspace
) -> None:
    page = open_report(window, "checked")
    type_over(qtbot, line_of(page, "plate"), "KEEP-1")
    first = page.form

    for name in OTHERS:
        open_report(window, name)
    assert page.kept_forms == KEPT_FORMS

    page = open_report(window, "checked")
    # Built again, the oldest having made room; what was typed comes back.
    assert page.form is not first
    assert page.values()["plate"] == "KEEP-1"
    assert page.kept_forms == KEPT_FORMS


def script_of(schema: dict[str, Any]) -> Script:
    manifest = load_manifest(
        {"scripts": [{"script": "s", "title": "S", "parameters_schema": schema}]},
        source="test",
    )
    script = manifest.script("s")
    assert script is not None
    assert script.usable
    return script


def test_a_report_whose_schema_changed_gets_a_new_form(qtbot: QtBot) -> None:
    page = ReportPage()
    qtbot.addWidget(page)
    before = script_of(CHECKED)
    assert page.show_script(before, FORM_CONTEXT) is False
    built = page.form

    assert page.show_script(script_of(CHECKED), FORM_CONTEXT) is True
    assert page.form is built

    changed = copy.deepcopy(CHECKED)
    changed["properties"]["min_idle"]["maximum"] = 60
    assert page.show_script(script_of(changed), FORM_CONTEXT) is False
    assert page.form is not built
    assert page.kept_forms == 1


def test_signing_out_forgets_the_kept_forms(qtbot: QtBot, window: Workspace) -> None:
    page = open_report(window, "checked")
    open_report(window, OTHERS[0])
    assert page.kept_forms == 2

    window.report.end_session()

    assert page.kept_forms == 0
    assert page.script is None
    assert not page.attention_label.isVisible()


def test_ctrl_shift_j_shows_the_json_body(qtbot: QtBot, window: Workspace) -> None:
    page = open_report(window, "checked")
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)
    assert not page.body_view.isVisible()
    # Shortcuts reach only the active window.
    window.window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window.window)

    qtbot.keyClick(
        page.form,
        Qt.Key.Key_J,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )

    assert page.body_button.isChecked()
    assert page.body_view.isVisible()
    assert '"script": "checked"' in page.body_view.body()


@pytest.mark.parametrize(
    ("errors", "text"),
    [
        ({}, ""),
        ({"plate": "must match"}, "1 field needs attention: Plate"),
        (
            {"plate": "x", "min_idle": "must be at most 300", "label": "y"},
            "3 fields need attention: Min idle, Label, Plate",
        ),
        # Two problems inside one field name it once.
        ({"zone/name": "x", "zone/code": "y"}, "1 field needs attention: Zone"),
        (
            {"": "must have either vehicles or groups", "label": "y"},
            "2 fields need attention: the form as a whole, Label",
        ),
    ],
)
def test_the_line_above_run_names_fields_in_form_order(
    errors: dict[str, str], text: str
) -> None:
    schema = copy.deepcopy(CHECKED)
    schema["properties"]["zone"] = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "code": {"type": "string"}},
    }

    assert attention_text(script_of(schema), errors) == text
