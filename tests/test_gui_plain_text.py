"""Text from manifests, gateways and engines shows as the characters it is.

Markup in a title, a description, a field's name, an engine's error or a
user name must never be read as HTML by Qt: the window is filled with
harmless markup everywhere outside text can appear, and every label, tooltip
and message box must show it literally.
"""

import ast
import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QTextDocument
from PySide6.QtGui import Qt as QtGui
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.forms import FormContext
from app.jobs import Job
from app.manifest import Script, load_manifest
from widgets.catalog import SCRIPT_ROLE
from widgets.jobs_model import FILES, REPORT
from widgets.main_window import MainWindow

HOSTILE = '<b>bold</b> <img src="file:///nonexistent.png"> <h1>big</h1>'
CONTEXT = FormContext(tz="UTC", today=dt.date(2026, 12, 4))
WIDGETS_DIR = Path(__file__).parent.parent / "widgets"


def hostile_script() -> Script:
    manifest = {
        "definitions": {
            "vehicles": {
                "title": f"Vehicles {HOSTILE}",
                "description": f"Which ones {HOSTILE}",
                "type": "array",
                "items": {"type": "integer"},
                "peg_type": "$vehicles",
            }
        },
        "scripts": [
            {
                "script": "hostile",
                "title": HOSTILE[:50],
                "desc": f"Says {HOSTILE}",
                "category": "trip_analysis",
                "parameters_schema": {
                    "type": "object",
                    "required": ["label"],
                    "properties": {
                        "vehicles": {"$ref": "#/definitions/vehicles"},
                        "label": {
                            "type": "string",
                            "title": HOSTILE,
                            "description": HOSTILE,
                        },
                        "formats": {
                            "type": "array",
                            "uniqueItems": True,
                            "items": {"type": "string", "enum": ["csv", "json"]},
                        },
                    },
                },
            }
        ],
    }
    scripts = load_manifest(manifest, source="test", engine_url="http://e").scripts
    return scripts[0]


def shown_tooltip(text: str) -> str:
    """What Qt shows for a tooltip: rich text when it looks like it."""
    if not QtGui.mightBeRichText(text):
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def fill_with_hostile_text(qtbot: QtBot) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)

    script = hostile_script()
    window.catalog.show_catalog([("Trip analysis", [script])], [HOSTILE])
    page = window.report_page
    page.show_script(script, CONTEXT)
    page.set_resource_failed("vehicles", f"Could not load: {HOSTILE}")
    page.set_errors({"": HOSTILE, "label": HOSTILE})
    page.set_run_state(False, f"To run: {HOSTILE}")
    window.show_error(f"Idling Usage failed: {HOSTILE}")
    window.set_connection("online", f"{HOSTILE} on 127.0.0.1")
    window.sign_in_dialog.show_error(f"Could not sign in: {HOSTILE}")
    window.sign_in_dialog.set_busy(f"Signing in to {HOSTILE}")
    window.jobs_panel.set_download_folder(Path("/tmp") / HOSTILE.replace("/", "_"))
    window.jobs_panel.show_job(
        Job.from_json(
            {
                "id": 7,
                "script": "hostile",
                "name": HOSTILE,
                "state": "error",
                "result": {"error": HOSTILE, "files": []},
            }
        )
    )
    qtbot.wait(20)
    return window


def test_no_label_of_the_window_reads_outside_text_as_html(qtbot: QtBot) -> None:
    window = fill_with_hostile_text(qtbot)

    labels = window.findChildren(QLabel)
    rich = [
        (label.objectName() or type(label.parent()).__name__, label.text()[:40])
        for label in labels
        if label.textFormat() != Qt.TextFormat.PlainText
    ]
    assert rich == []
    carrying = [label for label in labels if HOSTILE in label.text()]
    # Title, description, field label, field error, form message, run line,
    # banner, picker failure, connection, sign-in error and busy line.
    assert len(carrying) >= 11

    page = window.report_page
    assert page.title_label.text() == HOSTILE[:50]
    assert window.banner.text == f"Idling Usage failed: {HOSTILE}"
    assert window.sign_in_dialog.error_label.text() == f"Could not sign in: {HOSTILE}"
    # Drawn as its characters: as wide as the literal text, not a bold "bold".
    title = page.title_label
    literal = QFontMetrics(title.font()).horizontalAdvance(title.text())
    assert title.sizeHint().width() >= literal


def test_tooltips_with_outside_text_show_it_literally(qtbot: QtBot) -> None:
    window = fill_with_hostile_text(qtbot)

    tips = [w.toolTip() for w in window.findChildren(QWidget) if w.toolTip()]
    catalog = window.catalog.model
    header = catalog.item(0)
    tips += [header.child(row).toolTip() for row in range(header.rowCount())]
    jobs = window.jobs_panel.model
    tips += [
        jobs.index(0, column).data(Qt.ItemDataRole.ToolTipRole)
        for column in (REPORT, FILES)
    ]

    carrying = [tip for tip in tips if "bold" in shown_tooltip(tip)]
    # The report's, the field label's and editor's, the connection's, the
    # failed job's and its report's, at least.
    assert len(carrying) >= 6
    for tip in carrying:
        # The folder's has "/" made "_" in its name; each starts the same.
        assert "<b>bold<" in shown_tooltip(tip), tip
    assert sum(HOSTILE in shown_tooltip(tip) for tip in carrying) >= 5
    item = header.child(0)
    assert item.data(SCRIPT_ROLE).script == "hostile"


def test_message_boxes_show_their_text_literally(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)

    box = window.show_crash(f"Details are in {HOSTILE}")

    assert box.textFormat() == Qt.TextFormat.PlainText
    assert box.text() == f"Details are in {HOSTILE}"
    box.done(0)
    window.jobs_panel.show_job(
        Job.from_json({"id": 1, "script": "s", "name": "n", "state": "running"})
    )
    window.close()
    quit_box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    assert quit_box.textFormat() == Qt.TextFormat.PlainText
    quit_box.done(0)


def test_a_choice_label_with_an_ampersand_is_not_a_shortcut(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    script = load_manifest(
        {
            "scripts": [
                {
                    "script": "s",
                    "title": "S",
                    "parameters_schema": {
                        "type": "object",
                        "properties": {
                            "parts": {
                                "type": "array",
                                "uniqueItems": True,
                                "items": {
                                    "oneOf": [
                                        {"const": "a", "title": "Tyres & brakes"},
                                        {"const": "b", "title": "Oil"},
                                    ]
                                },
                            }
                        },
                    },
                }
            ]
        },
        source="test",
    ).scripts[0]
    window.report_page.show_script(script, CONTEXT)

    editor = window.report_page.form.editor("parts")
    assert editor is not None
    boxes = editor.boxes  # type: ignore[attr-defined]
    # "&&" is how a button shows one "&"; a single one would underline " ".
    assert boxes[0].text() == "Tyres && brakes"
    QApplication.processEvents()


def test_widgets_make_labels_only_through_the_plain_text_factory() -> None:
    """A QLabel made elsewhere would read its text as HTML when it looks so."""
    offenders = []
    for path in sorted(WIDGETS_DIR.rglob("*.py")):
        if path.name == "plain_text.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "QLabel"
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
