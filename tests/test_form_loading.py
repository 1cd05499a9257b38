"""Loading values into a large form does its form-wide work once, not per field."""

from typing import Any

from PySide6.QtWidgets import QLineEdit

from widgets.form import ReportForm


class CountingForm(ReportForm):
    """A real form that counts its passes over every row's error."""

    def __init__(self) -> None:
        super().__init__()
        self.passes = 0

    def set_errors(self, errors: dict[str, str]) -> None:
        self.passes += 1
        super().set_errors(errors)


def flat_schema(count: int) -> dict[str, Any]:
    properties = {f"p{i}": {"type": "string"} for i in range(count)}
    properties["group"] = {
        "type": "object",
        "properties": {f"g{i}": {"type": "string"} for i in range(count)},
    }
    return {"type": "object", "properties": properties}


def make_form(qtbot, count: int) -> CountingForm:
    form = CountingForm()
    qtbot.addWidget(form)
    form.set_schema(flat_schema(count))
    return form


def test_loading_values_shows_the_errors_once_whatever_the_field_count(qtbot):
    for count in (10, 200):
        form = make_form(qtbot, count)
        form.set_errors({"p3": "must be shorter"})
        values = {f"p{i}": f"v{i}" for i in range(count)}
        values["group"] = {f"g{i}": "w" for i in range(count)}
        form.passes = 0

        form.set_values(values)

        assert form.passes == 1
        assert form.values() == values
        assert form.rows.row("p3").error.text() == "must be shorter"


def test_typing_in_a_field_still_shows_the_errors_at_once(qtbot):
    form = make_form(qtbot, 5)
    form.set_errors({"p1": "needed"})
    form.passes = 0

    edit = form.editor("p2").findChild(QLineEdit)
    qtbot.keyClicks(edit, "ab")

    assert form.passes == 2
    assert form.values()["p2"] == "ab"
    assert form.rows.row("p1").error.text() == "needed"
