"""The cron editor and `python -m app cron` say the same for every case.

Each case of issue 4's "Accepted when" is typed into the real editor,
offscreen, and given to the command line as a child process; both must
give the right answer written here, and the same JSON. Then the editor's
presets and raw field are checked to follow each other.
"""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTime
from pytestqt.qtbot import QtBot

from widgets.cron_editor import CUSTOM, DAILY, HOURLY, MONDAYS, MONTHLY, CronEditor

ROOT = Path(__file__).parents[1]
AMSTERDAM = "Europe/Amsterdam"


def editor_for(qtbot: QtBot, zone: str, start: str, count: int) -> CronEditor:
    moment = dt.datetime.fromisoformat(start)
    editor = CronEditor(zone=zone, clock=lambda: moment, count=count)
    qtbot.addWidget(editor)
    return editor


def type_expression(qtbot: QtBot, editor: CronEditor, text: str) -> None:
    editor.expression_edit.clear()
    qtbot.keyClicks(editor.expression_edit, text)


def cli(expression: str, zone: str, start: str, count: int, lang: str = "en") -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "app", "cron", expression, "--tz", zone]
        + ["--from", start, "--count", str(count), "--lang", lang],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    shown = json.loads(done.stdout)
    assert done.returncode == (0 if shown["valid"] else 2), done.stderr
    return shown


def runs_of(shown: dict[str, Any]) -> list[dt.datetime]:
    return [dt.datetime.fromisoformat(text) for text in shown["next"]]


def amsterdam_fall_back(shown: dict[str, Any]) -> None:
    assert shown["next"][:3] == [
        "2024-10-27T02:30:00+02:00",
        "2024-10-28T02:30:00+01:00",
        "2024-10-29T02:30:00+01:00",
    ]


def refused(words: str) -> Any:
    def check(shown: dict[str, Any]) -> None:
        assert shown["valid"] is False
        assert words in shown["error"]
        assert shown["description"] is None
        assert shown["next"] == []

    return check


def leap_day(shown: dict[str, Any]) -> None:
    assert shown["valid"] is True
    assert shown["next"][0] == "2028-02-29T09:00:00+01:00"


def daily(shown: dict[str, Any]) -> None:
    assert shown["valid"] is True
    assert shown["description"] == "At 00:00"
    assert [run.time() for run in runs_of(shown)] == [dt.time(0, 0)] * 10


def sixteen_on_mondays(shown: dict[str, Any]) -> None:
    assert shown["valid"] is True
    assert shown["description"] == (
        "Every minute between 09:00 and 09:15, only on Monday"
    )
    runs = runs_of(shown)
    days = sorted({run.date() for run in runs})
    assert [dt.date(2024, 3, 4), dt.date(2024, 3, 11)] == days
    for day in days:
        minutes = [run.minute for run in runs if run.date() == day]
        assert minutes == list(range(16))
        assert day.weekday() == 0


CASES = [
    ("30 2 * * *", AMSTERDAM, "2024-10-26T12:00+02:00", 10, amsterdam_fall_back),
    ("0 0 31 2 *", "UTC", "2024-03-01T00:00Z", 10, refused("never runs")),
    ("0 0 30 2 *", "UTC", "2024-03-01T00:00Z", 10, refused("never runs")),
    ("0 9 29 2 *", AMSTERDAM, "2024-03-01T00:00+01:00", 10, leap_day),
    ("0 */5 * * * *", "UTC", "2024-03-01T00:00Z", 10, refused("six fields")),
    ("* * banana * *", "UTC", "2024-03-01T00:00Z", 10, refused("day of month")),
    ("@daily", AMSTERDAM, "2024-03-01T12:00+01:00", 10, daily),
    ("0-15 9 * * 1", AMSTERDAM, "2024-03-01T00:00+01:00", 32, sixteen_on_mondays),
]


@pytest.mark.parametrize(
    ("expression", "zone", "start", "count", "right"),
    CASES,
    ids=[case[0] for case in CASES],
)
def test_the_editor_and_the_command_line_agree(
    qtbot: QtBot,
    expression: str,
    zone: str,
    start: str,
    count: int,
    right: Any,
) -> None:
    editor = editor_for(qtbot, zone, start, count)
    type_expression(qtbot, editor, expression)
    from_editor = editor.shown.as_json()
    from_cli = cli(expression, zone, start, count)

    right(from_editor)
    assert from_editor == from_cli
    assert len(editor.run_lines()) == len(from_cli["next"])
    if from_editor["valid"]:
        assert editor.status_label.text() == from_editor["description"]
    else:
        # The reason is shown, and no description with it.
        assert editor.status_label.text().startswith("Not a schedule: ")
        assert editor.runs_list.count() == 0


def test_the_offset_is_shown_on_the_first_run_and_when_it_changes(
    qtbot: QtBot,
) -> None:
    editor = editor_for(qtbot, AMSTERDAM, "2024-10-26T12:00+02:00", 10)
    type_expression(qtbot, editor, "30 2 * * *")

    assert editor.run_lines()[:3] == [
        "Sun 2024-10-27 02:30 (UTC+02:00)",
        "Mon 2024-10-28 02:30 (UTC+01:00)",
        "Tue 2024-10-29 02:30",
    ]


def test_spanish_descriptions_come_from_the_same_preview(qtbot: QtBot) -> None:
    start = "2024-03-01T00:00+01:00"
    editor = editor_for(qtbot, AMSTERDAM, start, 10)
    editor.set_language("es")
    type_expression(qtbot, editor, "0-15 9 * * 1")

    assert (
        editor.status_label.text()
        == cli("0-15 9 * * 1", AMSTERDAM, start, 10, "es")["description"]
    )
    assert "lunes" in editor.status_label.text()


def test_presets_write_the_expression_and_expressions_pick_the_preset(
    qtbot: QtBot,
) -> None:
    editor = editor_for(qtbot, "UTC", "2024-03-01T00:00Z", 10)

    editor.preset.setCurrentIndex(editor.preset.findData(MONTHLY))
    editor.time_edit.setTime(QTime(6, 45))
    assert editor.expression() == "45 6 1 * *"

    editor.preset.setCurrentIndex(editor.preset.findData(HOURLY))
    editor.hours_spin.setValue(4)
    assert editor.expression() == "0 */4 * * *"
    assert editor.hours_spin.isVisibleTo(editor)
    assert not editor.time_edit.isVisibleTo(editor)

    type_expression(qtbot, editor, "30 8 * * 1")
    assert editor.preset.currentData() == MONDAYS
    assert editor.time_edit.time() == QTime(8, 30)

    type_expression(qtbot, editor, "15 22 * * *")
    assert editor.preset.currentData() == DAILY

    type_expression(qtbot, editor, "0 9 29 2 *")
    assert editor.preset.currentData() == CUSTOM
    assert editor.expression() == "0 9 29 2 *"
