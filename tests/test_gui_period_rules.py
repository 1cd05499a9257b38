"""A period the report's engine would refuse stops Run while the user types.

The embedded engine's manifest says trips take at most 366 days and only a
period that has begun (`peg_period`); the window says so at the fields, as
it does for what the schema refuses, rather than after Run is pressed.
"""

from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from support.window import WAIT_MS, open_report, sign_in_to_demo

from app.gui import Workspace
from app.local_stack import DemoStack

pytestmark = pytest.mark.slow


def error_at(form: Any, path: str) -> str:
    row = form.rows.row(path)
    assert row is not None, f"the form has no field {path!r}"
    return "" if row._error is None else row.error.text()


def test_a_period_the_engine_refuses_is_named_at_its_field_and_stops_run(
    qtbot: QtBot, workspace: Workspace, demo_stack: DemoStack
) -> None:
    page = workspace.window.report_page
    sign_in_to_demo(qtbot, workspace, demo_stack)
    open_report(qtbot, workspace, "Trip analysis", "Trips")
    form: Any = page.form
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)

    # Two years: longer than the 366 days trips take.
    values = form.values()
    form.set_values(
        {**values, "from": "2024-01-01T00:00:00", "to": "2026-01-01T00:00:00"}
    )
    qtbot.waitUntil(lambda: not page.run_button.isEnabled(), timeout=WAIT_MS)
    assert "longer than 366 days" in error_at(form, "to")
    assert "To" in page.reason_label.text()

    # A period that has not begun.
    form.set_values(
        {**values, "from": "2099-06-01T00:00:00", "to": "2099-06-02T00:00:00"}
    )
    qtbot.waitUntil(lambda: "in the past" in error_at(form, "from"), timeout=WAIT_MS)
    assert not page.run_button.isEnabled()

    # Back to a week that has passed: Run is offered again, with no error left.
    form.set_values(values)
    qtbot.waitUntil(page.run_button.isEnabled, timeout=WAIT_MS)
    assert error_at(form, "from") == ""
    assert error_at(form, "to") == ""
