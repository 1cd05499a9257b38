"""Counts read right for one: "1 problem", not "1 problems"."""

import json
import os
import subprocess
import sys
from pathlib import Path

from app.children import app_command
from app.plurals import agreeing, counted


def test_a_count_of_one_takes_the_singular() -> None:
    assert counted(1, "problem") == "1 problem"
    assert counted(0, "problem") == "0 problems"
    assert counted(1200, "vehicle") == "1,200 vehicles"
    assert counted(2, "body", "bodies") == "2 bodies"
    assert agreeing(1, "is", "are") == "is"
    assert agreeing(3, "is", "are") == "are"


def test_preview_logs_one_problem_of_the_values_in_the_singular(
    tmp_path: Path,
) -> None:
    values = {"from": "2026-11-02T00:00:00", "to": "2026-11-03T00:00:00"}
    values["min_distance"] = -1
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    result = subprocess.run(
        [sys.executable, "-m", "app", "preview", "app/engine/manifest.json",
         "--script", "trips", "--png", str(tmp_path / "form.png"),
         "--values", json.dumps(values)],
        capture_output=True, text=True, env=environ, timeout=120, check=False,
        cwd=Path(__file__).parent.parent,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "INFO widgets.preview: the values of trips have 1 problem\n" in (
        result.stderr
    )


def test_cron_says_one_run_is_listed_when_the_calendar_ends() -> None:
    # 9996 is the last leap year before the calendar ends.
    result = subprocess.run(
        app_command("cron", "0 0 29 2 *", "--tz", "UTC", "--from", "9995-01-01T00:00"),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["next"]) == 1
    assert "note: only 1 of 10 runs is listed" in result.stderr
