"""`make bench` prints its figures, not the offscreen plugin's notes.

The offscreen platform plugin warns "This plugin does not support
propagateSizeHints()" whenever a shown window's size hints change; the
form benchmark did that dozens of times. The benchmarks' process drops
those notes and keeps Qt's other messages.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent

# What the benchmark's process does, in small: a window whose size hints
# change once shown, then a warning of another kind.
WINDOW = """
from bench.__main__ import quiet_platform_warnings
from PySide6.QtCore import qWarning
from PySide6.QtWidgets import QApplication, QWidget
quiet_platform_warnings()
app = QApplication([])
window = QWidget()
window.show()
window.setMinimumSize(300, 200)
qWarning("another warning of Qt")
window.close()
"""


def test_the_bench_process_drops_only_the_offscreen_plugins_notes() -> None:
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    result = subprocess.run(
        [sys.executable, "-c", WINDOW],
        capture_output=True, text=True, env=environ, cwd=ROOT, timeout=60,
        check=True,
    )  # fmt: skip

    assert result.stderr.splitlines() == ["another warning of Qt"]
