"""Alternatives that only say which fields to fill in are a rule, not a
variant: the trips report's "vehicles or groups", offscreen."""

from PySide6.QtWidgets import QLabel
from test_form_widget import RESOURCES, corpus_script, give_resources, make_form

from app.validation import field_errors
from widgets.fields.variants import VARIANT_LABEL

RULE = "Pick vehicles or groups (at least one)"


def shown_texts(form) -> list[str]:
    return [label.text() for label in form.findChildren(QLabel) if label.isVisible()]


def check(form, schema) -> None:
    form.set_errors(field_errors(schema, form.values()))


def test_pick_vehicles_or_groups_is_a_rule_at_both_fields(qtbot):
    schema = corpus_script("gateway-default.json", "trips").schema
    form = make_form(qtbot, schema)
    give_resources(form)

    texts = shown_texts(form)
    assert VARIANT_LABEL not in texts
    assert not any(text.startswith("Option ") for text in texts)
    vehicles, groups = form.rows.row("vehicles"), form.rows.row("groups")
    assert vehicles.label.text() == "Vehicles"
    assert groups.label.text() == "Groups"
    assert form.rows.row("from").label.text().endswith("*")

    check(form, schema)
    assert vehicles.error.text() == RULE
    assert groups.error.text() == RULE
    assert not form.message.isVisible()
    assert not any("needs one of" in text for text in shown_texts(form))

    # Either one will do: groups alone clears the line at both.
    groups.editor.set_value([RESOURCES["groups"][0][0]])
    check(form, schema)
    assert vehicles.error.text() == ""
    assert groups.error.text() == ""
    assert "groups" in form.values()
    assert "vehicles" not in form.values()
