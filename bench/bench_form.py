"""Building a large report form, and going back to one already open.

The schema is generated: FIELDS input fields in nested groups (text, whole
and decimal numbers, true/false, choices, dates, lists of text, of choices
and of groups) with a vehicle picker in each group, given a fleet of
VEHICLES names. Its form is built and shown offscreen, against the same
number of plain Qt input widgets (a QLineEdit, QSpinBox, QComboBox, ...
each, a picker mirrored by a QComboBox of all the vehicles) in the same
nested group boxes, built and shown in the same run.

Going back to a report already opened is measured through the report page
(widgets/report_page.py, which keeps the forms it built) plus the check the
report controller makes on showing a report (field_errors, then the errors
set on the form); not through ReportController itself, which needs a
signed-in gateway. Its baseline is showing a page of plain widgets already
built, in a QStackedWidget. Medians of REPEAT runs of each, alternated.
"""

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.forms import FormContext
from app.manifest import Script
from app.validation import field_errors
from bench.figures import Figure
from widgets.form import ReportForm
from widgets.report_page import ReportPage
from widgets.theme import apply_theme

FIELDS = 300
VEHICLES = 5000
GROUPS = 10
REPEAT = 7
TARGET_RATIO = 3.0
TARGET_SWITCH_SECONDS = 0.050
SIZE = (900, 1000)
CONTEXT = FormContext(tz="Europe/Madrid")

# One group's fields, by kind; FIELDS / GROUPS of them make a group. The
# last ten go into a group nested inside it.
GROUP_KINDS = (
    ["text"] * 7
    + ["integer"] * 4
    + ["number"] * 4
    + ["boolean"] * 3
    + ["choice"] * 5
    + ["date", "datetime"]
    + ["text_list", "text_list", "choice_list", "group_list", "vehicles"]
)
CHOICES = [f"option {i}" for i in range(8)]


def field_schema(kind: str, index: int) -> dict[str, Any]:
    """The schema of one field of the given kind."""
    title = f"{kind.replace('_', ' ').capitalize()} {index}"
    schemas: dict[str, dict[str, Any]] = {
        "text": {"type": "string", "maxLength": 80},
        "integer": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 5},
        "number": {"type": "number", "minimum": 0, "maximum": 500},
        "boolean": {"type": "boolean", "default": False},
        "choice": {"type": "string", "enum": CHOICES, "default": CHOICES[0]},
        "date": {"type": "string", "format": "date"},
        "datetime": {"type": "string", "format": "date-time"},
        "text_list": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        "choice_list": {
            "type": "array",
            "items": {"type": "string", "enum": CHOICES},
            "uniqueItems": True,
        },
        "group_list": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "label": {"type": "string"},
                    "limit": {"type": "number", "minimum": 0},
                },
            },
        },
        "vehicles": {
            "type": "array",
            "items": {"type": "integer"},
            "uniqueItems": True,
            "peg_type": "$vehicles",
        },
    }
    return {"title": title, **schemas[kind]}


def form_schema() -> dict[str, Any]:
    """FIELDS fields in GROUPS groups, each with a group nested in it."""
    per_group = FIELDS // GROUPS
    properties: dict[str, Any] = {}
    for group in range(GROUPS):
        fields = {
            f"f{group}_{i}": field_schema(kind, group * per_group + i)
            for i, kind in enumerate(GROUP_KINDS[:per_group])
        }
        names = list(fields)
        outer = {name: fields[name] for name in names[:-10]}
        inner = {name: fields[name] for name in names[-10:]}
        outer[f"details_{group}"] = {
            "title": f"Details {group}",
            "type": "object",
            "properties": inner,
        }
        properties[f"section_{group}"] = {
            "title": f"Section {group}",
            "type": "object",
            "required": names[:2],
            "properties": outer,
        }
    return {"type": "object", "properties": properties}


def fleet() -> list[tuple[int, str]]:
    return [(1000 + i, f"Vehicle {i:05}") for i in range(VEHICLES)]


# --- The form and its baseline ------------------------------------------------


def build_form(schema: dict[str, Any], vehicles: list[tuple[int, str]]) -> QWidget:
    form = ReportForm()
    form.resize(*SIZE)
    form.set_schema(schema, context=CONTEXT)
    form.set_resource_choices("vehicles", vehicles)
    form.show()
    return form


def plain_input(kind: str, names: list[str]) -> QWidget:
    """The plain Qt widget a field of this kind is mirrored by."""
    if kind in ("integer",):
        spin = QSpinBox()
        spin.setRange(0, 1000)
        return spin
    if kind == "number":
        decimal = QDoubleSpinBox()
        decimal.setRange(0, 500)
        return decimal
    if kind == "boolean":
        return QCheckBox()
    if kind in ("choice", "choice_list"):
        combo = QComboBox()
        combo.addItems(CHOICES)
        return combo
    if kind == "vehicles":
        combo = QComboBox()
        combo.addItems(names)
        return combo
    if kind in ("date", "datetime"):
        return QDateTimeEdit()
    return QLineEdit()


def build_plain(schema: dict[str, Any], vehicles: list[tuple[int, str]]) -> QWidget:
    """The same fields as plain widgets in the same nested group boxes."""
    names = [name for _, name in vehicles]
    content = QWidget()
    column = QVBoxLayout(content)
    for section in schema["properties"].values():
        column.addWidget(_plain_group(section, names))
    column.addStretch(1)

    window = QScrollArea()
    window.setWidgetResizable(True)
    window.setWidget(content)
    window.resize(*SIZE)
    window.show()
    return window


def _plain_group(group: dict[str, Any], names: list[str]) -> QGroupBox:
    box = QGroupBox(group["title"])
    rows = QFormLayout(box)
    for field in group["properties"].values():
        if field.get("type") == "object":
            rows.addRow(_plain_group(field, names))
            continue
        rows.addRow(QLabel(field["title"]), plain_input(_kind_of(field), names))
    return box


def _kind_of(field: dict[str, Any]) -> str:
    if field.get("peg_type") == "$vehicles":
        return "vehicles"
    if field.get("type") == "array":
        return "choice_list" if "enum" in field["items"] else "text_list"
    if "enum" in field:
        return "choice"
    if field.get("format") in ("date", "date-time"):
        return "date"
    return str(field.get("type"))


# --- Measuring ------------------------------------------------------------------


def _settle() -> None:
    """Let Qt lay out and paint what was shown, and delete what was closed."""
    QApplication.processEvents()


def _timed_build(build: Callable[[], QWidget]) -> float:
    start = time.perf_counter()
    widget = build()
    _settle()
    elapsed = time.perf_counter() - start

    widget.close()
    widget.deleteLater()
    _settle()
    gc.collect()
    return elapsed


def build_figure(
    name: str, schema: dict[str, Any], vehicles: list[tuple[int, str]]
) -> Figure:
    def form() -> QWidget:
        return build_form(schema, vehicles)

    def plain() -> QWidget:
        return build_plain(schema, vehicles)

    _timed_build(form)
    _timed_build(plain)
    form_times, plain_times = [], []
    for _ in range(REPEAT):
        plain_times.append(_timed_build(plain))
        form_times.append(_timed_build(form))

    value, baseline = statistics.median(form_times), statistics.median(plain_times)
    return Figure(
        name=name,
        value=value,
        baseline=baseline,
        unit="s",
        target=f"ratio <= {TARGET_RATIO:.1f} (plain Qt input widgets)",
        met=value / baseline <= TARGET_RATIO,
    )


def without_pickers(schema: Any) -> Any:
    """The schema with its picker fields left out."""
    if not isinstance(schema, dict):
        return schema
    return {
        key: without_pickers(value)
        for key, value in schema.items()
        if not (isinstance(value, dict) and "peg_type" in value)
    }


def switch_figure(schema: dict[str, Any], vehicles: list[tuple[int, str]]) -> Figure:
    big = Script(script="big", title="Large report", schema=schema)
    small_schema = {"type": "object", "properties": {"note": {"type": "string"}}}
    small = Script(script="small", title="Small report", schema=small_schema)

    page = ReportPage()
    page.resize(*SIZE)
    page.show()
    for script in (big, small):
        page.show_script(script, CONTEXT)
        page.set_resource_choices("vehicles", vehicles)
        _settle()

    def back_to_big() -> None:
        page.show_script(big, CONTEXT)
        # What the report controller does on showing a report.
        errors = field_errors(schema, page.values())
        errors.update(page.input_problems())
        page.set_errors(errors)
        _settle()

    plain_stack = QStackedWidget()
    plain_stack.addWidget(build_plain(schema, vehicles))
    plain_stack.addWidget(QLineEdit())
    plain_stack.resize(*SIZE)
    plain_stack.show()

    def back_to_plain() -> None:
        plain_stack.setCurrentIndex(0)
        _settle()

    page_times, plain_times = [], []
    for _ in range(REPEAT + 1):
        page.show_script(small, CONTEXT)
        plain_stack.setCurrentIndex(1)
        _settle()
        page_times.append(_seconds(back_to_big))
        plain_times.append(_seconds(back_to_plain))
    reused = page.show_script(big, CONTEXT)

    for widget in (page, plain_stack):
        widget.close()
        widget.deleteLater()
    _settle()

    value = statistics.median(page_times[1:])
    how = "kept form" if reused else "form built again: the page keeps no forms"
    return Figure(
        name=f"switch back to an open {FIELDS}-field report ({how})",
        value=value,
        baseline=statistics.median(plain_times[1:]),
        unit="s",
        target=f"<= {TARGET_SWITCH_SECONDS * 1000:.0f} ms (baseline: a plain page "
        "already built, shown again)",
        met=value <= TARGET_SWITCH_SECONDS,
    )


def _seconds(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run() -> list[Figure]:
    # Kept in a name while the figures are taken: Qt needs it alive.
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    # Both the form and its baseline are drawn as in the app.
    apply_theme(app)
    schema, vehicles = form_schema(), fleet()
    pickers = sum(1 for kind in GROUP_KINDS if kind == "vehicles") * GROUPS
    figures = [
        build_figure(
            f"build a {FIELDS}-field form with {pickers} pickers of "
            f"{VEHICLES:,} vehicles",
            schema,
            vehicles,
        ),
        # The pickers' lists are most of the time of both: the rest alone.
        build_figure(
            f"build the {FIELDS - pickers} fields other than pickers",
            without_pickers(schema),
            [],
        ),
        switch_figure(schema, vehicles),
    ]
    app.processEvents()
    return figures
