"""Time from launch to a usable main window, against a bare PySide6 window.

Both are started as new processes, alternately, several times; each prints
"ready" from its first idle turn of the event loop after showing its window.
The figure is the ratio of the medians, so a busy machine slows both alike.
Each is run once first, unmeasured, with bytecode caching allowed (some
environments turn it off), so both are measured as a user's second start.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench.figures import Figure

RUNS = 7
# The app loads its HTTP (httpx) and schema (jsonschema) stacks and builds a
# full window before it is idle; about three times a bare window is what
# that costs today, and 4 leaves room for noise without hiding a regression.
TARGET_RATIO = 4.0

BARE_WINDOW = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1200, 780)
window.show()
def ready():
    sys.stdout.write("ready\\n")
    sys.stdout.flush()
    app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""


def _seconds_to_ready(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - start
    process.wait(60)
    if line.strip() != b"ready":
        raise RuntimeError(f"{command[:3]} did not report ready: {line!r}")
    return elapsed


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory() as data:
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
            "PEGASUS_REPORTS_DATA_DIR": data,
        }
        app = [sys.executable, "-m", "app", "--quit-when-ready"]
        bare = [sys.executable, "-c", BARE_WINDOW]

        _seconds_to_ready(bare, env)
        _seconds_to_ready(app, env)
        app_times, bare_times = [], []
        for _ in range(RUNS):
            bare_times.append(_seconds_to_ready(bare, env))
            app_times.append(_seconds_to_ready(app, env))

    value, baseline = statistics.median(app_times), statistics.median(bare_times)
    return [
        Figure(
            name="launch to usable main window",
            value=value,
            baseline=baseline,
            unit="s",
            target=f"ratio <= {TARGET_RATIO:.1f} (bare PySide6 window)",
            met=value / baseline <= TARGET_RATIO,
        )
    ]
