"""Every sample schema builds a usable form (tests/support/form_corpus.py).

The samples are found by walking tests/data/rjsf (its index.json) and
tests/data/manifests: a schema added there is tested here with no new code.
For each: the form builds and draws, each property has its field, the
defaults either validate or the form says what is missing, and a sample's
formData loads and reads back as it was, with its errors at their fields.
"""

from typing import Any

import pytest
from support.form_corpus import (
    check,
    editor_of,
    load_sample,
    make_form,
    rjsf_names,
    rjsf_sample,
    sample_params,
    shown_at_field,
    shown_in_summary,
)

from app.forms import JSON
from app.validation import field_errors

SAMPLES = sample_params()
WITH_DATA = [
    pytest.param(name, id=f"rjsf/{name}") for name in rjsf_names(with_data=True)
]


def property_paths(schema: Any, prefix: str = "") -> list[str]:
    """The path of each property the schema writes, nested objects included.

    An object with a `const` or an `enum` is one choice: its parts are not
    fields of their own.
    """
    if not isinstance(schema, dict) or "const" in schema or "enum" in schema:
        return []
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return []
    paths = []
    for name, sub in properties.items():
        paths.append(f"{prefix}{name}")
        paths += property_paths(sub, f"{prefix}{name}/")
    return paths


@pytest.mark.parametrize(("kind", "key"), SAMPLES)
def test_the_form_builds_and_draws_with_a_field_per_property(qtbot, kind, key):
    script = load_sample(kind, key).script
    form = make_form(qtbot, script)

    assert not form.grab().isNull()
    fields = {editor.spec.path for editor in form.rows.editors()}
    assert [p for p in property_paths(script.schema) if p not in fields] == []


@pytest.mark.parametrize(("kind", "key"), SAMPLES)
def test_a_field_typed_as_json_says_why(qtbot, kind, key):
    form = make_form(qtbot, load_sample(kind, key).script)

    for editor in form.rows.editors():
        if editor.spec.kind == JSON:
            assert editor.spec.unsupported, editor.spec.path
            assert editor.note.isVisible()
            assert editor.spec.unsupported in editor.note.text()


@pytest.mark.parametrize(("kind", "key"), SAMPLES)
def test_the_defaults_are_valid_or_the_form_says_what_is_missing(qtbot, kind, key):
    script = load_sample(kind, key).script
    form = make_form(qtbot, script)

    errors = check(form, script)

    unsaid = {
        path: message
        for path, message in errors.items()
        if not (
            shown_at_field(form, path, message) or shown_in_summary(form, path, message)
        )
    }
    assert unsaid == {}


@pytest.mark.parametrize("name", WITH_DATA)
def test_form_data_loads_and_reads_back_the_same(qtbot, name):
    sample = rjsf_sample(name)
    form = make_form(qtbot, sample.script)

    form.set_values(sample.data)

    assert form.values() == sample.data


@pytest.mark.parametrize("name", WITH_DATA)
def test_errors_of_form_data_are_shown_at_their_fields(qtbot, name):
    sample = rjsf_sample(name)
    form = make_form(qtbot, sample.script)
    form.set_values(sample.data)

    check(form, sample.script)

    # The errors of the data as given, not of what the form kept of it.
    schema = sample.script.validation_schema
    unsaid = {
        path: message
        for path, message in field_errors(schema, sample.data).items()
        if not (
            shown_at_field(form, path, message)
            if editor_of(form, path) is not None
            else shown_in_summary(form, path, message)
        )
    }
    assert unsaid == {}
