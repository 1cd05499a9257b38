"""The sample schemas the report form is tested against, loaded as scripts.

Two folders of samples, walked so that a file added there is tested with
no new code:
- tests/data/rjsf: the RJSF playground samples (see its README), each a
  schema NAME.json listed in index.json, some with formData NAME.data.json;
- tests/data/manifests: gateway manifests (bad/ holds broken ones, left out).

A sample schema is loaded as the parameters schema of a one-script
manifest, through app.manifest like a gateway's, so its references are
resolved the way a report's are. Also here: building a form for a script
offscreen, checking its values as the report page does, and finding where
the form shows an error.
"""

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.forms import FormContext
from app.manifest import Script, load_manifest
from app.validation import field_errors
from widgets.fields import FieldEditor
from widgets.form import ReportForm

DATA = Path(__file__).parents[1] / "data"
RJSF = DATA / "rjsf"
MANIFESTS = DATA / "manifests"

CONTEXT = FormContext(
    tz="America/New_York", prefs={"distance": "mile"}, today=dt.date(2026, 3, 8)
)
# Names for every picker a sample may show, so ids given to it have names.
RESOURCES: dict[str, list[tuple[int, str]]] = {
    kind: [(100 * n + i, f"{kind.title()} {i:02}") for i in range(1, 6)]
    for n, kind in enumerate(
        ("vehicles", "groups", "geofences", "assets", "triggers", "users"), start=1
    )
}
# Where schema references point: a sample's own root keeps its definitions
# there, a manifest keeps them at its own root.
DEFINITION_KEYWORDS = ("definitions", "$defs")
# An error message is cut to a readable length where it is shown.
MESSAGE_START = 40


@dataclass(frozen=True)
class Sample:
    """One schema to build a form for, and its formData (None if it has none;
    a formData of null is not used by any sample)."""

    script: Script
    data: Any = None


def rjsf_names(*, with_data: bool = False) -> list[str]:
    """The samples index.json lists, by name ("arrays"); with_data: only
    those that have formData."""
    index = json.loads((RJSF / "index.json").read_text())
    names = [entry["file"].removesuffix(".json") for entry in index]
    if with_data:
        return [name for name in names if (RJSF / f"{name}.data.json").exists()]
    return names


def manifest_scripts() -> list[str]:
    """Every script of every manifest, as "manifest.json:script"."""
    return [
        f"{path.name}:{script.script}"
        for path in sorted(MANIFESTS.glob("*.json"))
        for script in load_manifest(path.read_text(), source=path.name).scripts
    ]


def rjsf_sample(name: str) -> Sample:
    """An RJSF sample as the only script of a manifest."""
    schema = json.loads((RJSF / f"{name}.json").read_text())
    document: dict[str, Any] = {
        "scripts": [
            {
                "script": name,
                "title": name,
                "parameters_schema": schema,
            }
        ]
    }
    if isinstance(schema, dict):
        for keyword in DEFINITION_KEYWORDS:
            if keyword in schema:
                document[keyword] = schema[keyword]
    manifest = load_manifest(document, source=f"rjsf/{name}.json")
    (script,) = manifest.scripts
    assert manifest.all_problems == [], [str(p) for p in manifest.all_problems]

    data_file = RJSF / f"{name}.data.json"
    if not data_file.exists():
        return Sample(script)
    return Sample(script, data=json.loads(data_file.read_text()))


def manifest_sample(key: str) -> Sample:
    """A script of a manifest, by "manifest.json:script"."""
    file_name, name = key.split(":")
    path = MANIFESTS / file_name
    script = load_manifest(path.read_text(), source=str(path)).script(name)
    assert script is not None, key
    assert script.usable, [str(p) for p in script.problems]
    return Sample(script)


def sample_params() -> list[Any]:
    """Every sample as a pytest parameter (kind, key), with a readable id."""
    return [pytest.param("rjsf", name, id=f"rjsf/{name}") for name in rjsf_names()] + [
        pytest.param("manifest", key, id=key) for key in manifest_scripts()
    ]


def load_sample(kind: str, key: str) -> Sample:
    """A sample by the parameters sample_params gives."""
    return rjsf_sample(key) if kind == "rjsf" else manifest_sample(key)


def make_form(qtbot: QtBot, script: Script) -> ReportForm:
    """The script's form, shown offscreen, with names for its pickers."""
    form = ReportForm()
    qtbot.addWidget(form)
    form.resize(700, 900)
    form.set_schema(script.schema, context=CONTEXT)
    for resource in form.resources_needed():
        form.set_resource_choices(resource, RESOURCES[resource])
    form.show()
    return form


def check(form: ReportForm, script: Script) -> dict[str, str]:
    """Check the form's values as the report page does, showing the errors."""
    errors = field_errors(script.validation_schema or script.schema, form.values())
    errors.update(form.input_problems())
    form.set_errors(errors)
    return errors


def editor_of(form: ReportForm, path: str) -> FieldEditor | None:
    """The innermost editor that holds the value at path ("range/low")."""
    holders = [
        editor
        for editor in form.rows.editors()
        if path == editor.spec.path or path.startswith(f"{editor.spec.path}/")
    ]
    return max(holders, key=lambda e: len(e.spec.path), default=None)


def shown_at_field(form: ReportForm, path: str, message: str) -> bool:
    """Whether the error is written, visibly, in the row of its field.

    The form's own error for a rule over some of its fields ("needs one
    of: vehicles, groups") is written at each of those fields, as the rule.
    """
    editor = editor_of(form, path)
    if editor is None:
        return path == "" and shown_as_rule(form)
    row: QWidget = editor.parentWidget() or editor
    return any(
        message[:MESSAGE_START] in label.text() and label.isVisible()
        for label in row.findChildren(QLabel)
    )


def shown_as_rule(form: ReportForm) -> bool:
    """Whether the form's rule, broken, is written at each field it names."""
    rule = getattr(form.rows, "rule", None)
    if rule is None:
        return False
    rows = [form.rows.row(name) for name in rule.names]
    shown = [row for row in rows if row is not None]
    return bool(shown) and all(
        row.error.isVisible() and rule.text in row.error.text() for row in shown
    )


def shown_in_summary(form: ReportForm, path: str, message: str) -> bool:
    """Whether the summary above the fields names the error's field."""
    said = f"{path}: {message}" if path else message
    return form.message.isVisible() and said[:MESSAGE_START] in form.message.text()
