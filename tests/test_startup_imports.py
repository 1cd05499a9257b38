"""The window starts without the libraries only later steps need.

jsonschema (with referencing and attrs) is first needed to read a manifest
or build a form, croniter and cron_descriptor to schedule, QtWebEngine to
show a report's own page. Loading them before the window is shown made the
start a good part slower (bench/bench_startup.py), so each test here starts
a fresh interpreter, as a user's start does, and looks at what it loaded.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

LATER_ONLY = (
    "jsonschema",
    "referencing",
    "attrs",
    "croniter",
    "cron_descriptor",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
)

# Builds the real workspace, shows it, lets the loop turn once, then tells
# what was loaded, what the window offers, and what a first form and the
# task editor bring.
PROBE = """
import json
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.gui import build_workspace
from app.settings import Settings

later_only = json.loads(sys.argv[2])
app = QApplication(sys.argv[:1])
workspace = build_workspace(Settings.open(sys.argv[1]))
workspace.window.show()
QTimer.singleShot(0, app.quit)
app.exec()

window = workspace.window
found = {
    "at_start": [name for name in later_only if name in sys.modules],
    "menus": [action.text() for action in window.menuBar().actions()],
    "sign_in_enabled": window.sign_in_action.isEnabled(),
}
window.report_page.form
found["jsonschema_after_form"] = "jsonschema" in sys.modules
import widgets.task_editor
found["croniter_after_editor"] = "croniter" in sys.modules
print(json.dumps(found))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def test_the_shown_window_has_not_loaded_what_later_steps_need(tmp_path: Path):
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            str(tmp_path / "settings.ini"),
            json.dumps(LATER_ONLY),
        ],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])

    assert found["at_start"] == []
    assert [m.replace("&", "") for m in found["menus"]][:1] == ["File"]
    assert found["sign_in_enabled"] is True
    # The same names do load once the step that needs them comes.
    assert found["jsonschema_after_form"] is True
    assert found["croniter_after_editor"] is True


def test_the_app_is_ready_before_loading_what_later_steps_need(tmp_path: Path):
    # The very start the benchmark times: python -m app --quit-when-ready.
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "app", "--quit-when-ready"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
        check=True,
        cwd=tmp_path,
    )
    # -X importtime writes "import time: self | cumulative | module" lines
    # (not for app.gui itself: app.cli loads it through importlib).
    loaded = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }

    assert done.stdout.strip() == "ready"
    assert "widgets.main_window" in loaded
    assert [name for name in LATER_ONLY if name in loaded] == []
