"""`python -m app --demo --screenshot PNG`, as `make screenshot` runs it."""

import os
import subprocess
from pathlib import Path

import psutil
import pytest
from PySide6.QtGui import QImage

from app.children import app_command
from app.paths import DATA_DIR_ENV

pytestmark = pytest.mark.slow


def processes_using(folder: Path) -> list[psutil.Process]:
    """Processes whose command line names folder (the demo's servers)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info.get("cmdline") or []
        if any(str(folder) in part for part in cmdline):
            found.append(process)
    return found


def test_the_screenshot_shows_the_window_and_leaves_no_server_running(
    data_dir: Path, tmp_path: Path
) -> None:
    picture = tmp_path / "docs" / "main-window.png"
    env = {**os.environ, DATA_DIR_ENV: str(data_dir), "QT_QPA_PLATFORM": "offscreen"}

    finished = subprocess.run(
        app_command("--demo", "--screenshot", str(picture)),
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )

    log = finished.stderr.decode("utf-8", "replace")
    assert finished.returncode == 0, log
    assert "Traceback" not in log
    image = QImage(str(picture))
    assert (image.width(), image.height()) == (1200, 780)
    assert processes_using(data_dir) == []
