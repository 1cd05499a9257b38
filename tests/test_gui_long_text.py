"""Huge texts from outside are shown cut, so that the window stays quick.

A manifest's 4 MB title or an engine's 1 MB error would be measured and
laid out again at every repaint, resize or key typed in the search line.
What the window shows of such a text is its start, cut to a readable
length with "…"; tooltips are cut too. Each test fills the real widgets
with such texts and checks what they hold.
"""

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from support.window import FORM_CONTEXT, shown_window

from app.display_text import (
    DESCRIPTION_LIMIT,
    MESSAGE_LIMIT,
    MESSAGE_LINES,
    STATUS_LIMIT,
    TITLE_LIMIT,
    TOOLTIP_LIMIT,
)
from app.jobs import Job
from app.manifest import Script
from widgets.catalog import DETAIL_ROLE, SEARCH_ROLE
from widgets.jobs_model import FILES, REPORT
from widgets.resource_picker import ResourcePicker

BIG_TITLE = "T" * 4_000_000
BIG_DESC = "word " * 200_000
BIG_ERROR = "E " * 500_000
MANY_LINES = "a line\n" * 100_000


def is_cut(shown: str, whole: str, limit: int) -> bool:
    """shown is whole's start, cut within limit, marked with "…"."""
    return len(shown) <= limit and shown.endswith("…") and whole.startswith(shown[:-1])


def big_script() -> Script:
    schema = {
        "type": "object",
        "properties": {
            "note": {"type": "string", "title": BIG_TITLE, "description": BIG_DESC},
            "kind": {"type": "string", "enum": ["x" * 1_000_000, "short"]},
        },
    }
    return Script(
        script="s" * 1_000_000,
        title=BIG_TITLE,
        desc=BIG_DESC,
        category="fleet_status",
        schema=schema,
    )


def test_a_huge_title_and_description_are_cut_in_the_catalog(qtbot: QtBot) -> None:
    window = shown_window(qtbot)
    view = window.catalog
    view.show_catalog([("Fleet status", [big_script()])], [BIG_ERROR])

    report = view.model.item(0).child(0)
    assert is_cut(report.text(), BIG_TITLE, TITLE_LIMIT)
    assert is_cut(report.data(DETAIL_ROLE), BIG_DESC, DESCRIPTION_LIMIT)
    assert len(report.toolTip()) <= TOOLTIP_LIMIT
    assert len(report.data(SEARCH_ROLE)) <= TITLE_LIMIT + DESCRIPTION_LIMIT * 2
    engine = view.model.item(1).child(0)
    assert len(engine.data(DETAIL_ROLE)) <= DESCRIPTION_LIMIT
    assert len(engine.toolTip()) <= TOOLTIP_LIMIT

    # Still found by what it shows.
    qtbot.keyClicks(view.search, "word word")
    assert len(view.shown_reports()) == 1


def test_a_huge_title_is_cut_on_the_report_page_and_in_its_form(
    qtbot: QtBot,
) -> None:
    window = shown_window(qtbot)
    page = window.report_page
    page.show_script(big_script(), FORM_CONTEXT)

    assert is_cut(page.title_label.text(), BIG_TITLE, TITLE_LIMIT)
    assert is_cut(page.description_label.text(), BIG_DESC, DESCRIPTION_LIMIT)
    row = page.form.rows.row("note")
    assert row is not None
    assert row.label is not None
    assert len(row.label.text()) <= TITLE_LIMIT + len(" *")
    assert len(row.label.toolTip()) <= TOOLTIP_LIMIT
    editor = page.form.editor("kind")
    assert editor is not None
    combo = editor.combo  # type: ignore[attr-defined]
    assert max(len(combo.itemText(i)) for i in range(combo.count())) <= TITLE_LIMIT


def test_a_huge_error_is_cut_in_the_jobs_table_and_the_banner(qtbot: QtBot) -> None:
    window = shown_window(qtbot)
    job = {"id": 1, "name": BIG_TITLE, "state": "error", "result": {"error": BIG_ERROR}}
    window.jobs_panel.show_job(Job.from_json(job))
    window.show_error(f"Trips failed: {BIG_ERROR}")

    model = window.jobs_panel.model
    assert is_cut(model.index(0, FILES).data(), BIG_ERROR, DESCRIPTION_LIMIT)
    assert is_cut(model.index(0, REPORT).data(), BIG_TITLE, TITLE_LIMIT)
    tip = model.index(0, FILES).data(Qt.ItemDataRole.ToolTipRole)
    assert len(tip) <= TOOLTIP_LIMIT
    assert is_cut(window.banner.text, f"Trips failed: {BIG_ERROR}", MESSAGE_LIMIT)


def test_messages_are_cut_to_a_few_lines_everywhere_they_are_shown(
    qtbot: QtBot,
) -> None:
    window = shown_window(qtbot)
    dialog = window.sign_in_dialog

    window.show_error(MANY_LINES)
    dialog.show_error(MANY_LINES)
    window.show_status(BIG_ERROR)
    window.set_connection("online", f"{BIG_TITLE} on 127.0.0.1")

    for shown in (window.banner.text, dialog.error_label.text()):
        assert shown.count("\n") < MESSAGE_LINES
        assert shown.endswith("…")
    status = window.statusBar().currentMessage()
    assert is_cut(status, BIG_ERROR, STATUS_LIMIT)
    assert is_cut(window.connection_label.text(), BIG_TITLE, TITLE_LIMIT)


def test_a_huge_file_name_keeps_its_start_and_extension(
    qtbot: QtBot, tmp_path: Path
) -> None:
    window = shown_window(qtbot)
    name = "trips_" + "x" * 100_000 + ".csv"
    panel = window.jobs_panel
    job = {"id": 2, "state": "done", "result": {"files": [name]}}
    panel.show_job(Job.from_json(job))

    button = panel.file_button(2, name)
    assert button is not None
    assert len(button.text()) <= TITLE_LIMIT + 2
    assert button.text().startswith("⤓ trips_x")
    assert button.text().endswith(".csv")
    assert len(button.toolTip()) <= TOOLTIP_LIMIT


def test_huge_names_in_a_picker_are_cut(qtbot: QtBot) -> None:
    picker = ResourcePicker("vehicles")
    qtbot.addWidget(picker)
    picker.set_items([(1, BIG_TITLE), (2, "Van 2")])

    names = picker.visible_names()
    assert "Van 2" in names
    assert all(len(name) <= TITLE_LIMIT for name in names)
    picker.set_selected_ids([1])
    assert picker.selected_ids() == [1]
