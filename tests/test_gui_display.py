"""Starting the window where Qt cannot open one: said plainly, exit 2.

Without a display, or without the X11 library Qt needs most, Qt would end
the process with a qFatal naming neither the cause nor the fix. The app
checks first. The whole program is run as a subprocess with a crafted
environment; the X11 library check is given its library lookup.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.children import app_command
from app.gui import NO_DISPLAY, NO_XCB_CURSOR, LibraryFinder, display_problem
from app.paths import DATA_DIR_ENV

QT_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE")


def no_library(name: str) -> str | None:
    return None


def every_library(name: str) -> str | None:
    return f"lib{name}.so.0"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_without_a_display_the_window_says_so_and_exits_2(
    data_dir: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in QT_VARIABLES}
    env[DATA_DIR_ENV] = str(data_dir)

    finished = subprocess.run(
        app_command("--demo"),
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )

    stderr = finished.stderr.decode("utf-8", "replace")
    assert finished.returncode == 2, stderr
    assert "no display found" in stderr
    assert "QT_QPA_PLATFORM=offscreen" in stderr
    assert "qt.qpa" not in stderr
    assert "Traceback" not in stderr
    assert finished.stdout == b""
    # Stopped before anything started: no demo, no log file.
    assert list(data_dir.iterdir()) == []


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"QT_QPA_PLATFORM": "xcb"},
        {"QT_QPA_PLATFORM": "xcb:dpi=96"},
        {"QT_QPA_PLATFORM": "", "XDG_SESSION_TYPE": "x11"},
    ],
)
def test_no_display_is_found_when_qt_would_use_x11(env: dict[str, str]) -> None:
    assert display_problem(env, platform="linux", find_library=every_library) == (
        NO_DISPLAY
    )


@pytest.mark.parametrize(
    "env",
    [
        {"DISPLAY": ":0"},
        {"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"},
        {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "x11"},
    ],
)
def test_a_missing_xcb_cursor_library_names_the_package(env: dict[str, str]) -> None:
    problem = display_problem(env, platform="linux", find_library=no_library)

    assert problem == NO_XCB_CURSOR
    assert "libxcb-cursor0" in problem
    assert "README" in problem


@pytest.mark.parametrize(
    ("env", "platform", "find_library"),
    [
        # Qt's own platforms that need no display, or another system.
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", no_library),
        ({"QT_QPA_PLATFORM": "minimal"}, "linux", no_library),
        ({}, "darwin", no_library),
        ({}, "win32", no_library),
        # Wayland without the X11 library: Qt does not need it there.
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", no_library),
        ({"QT_QPA_PLATFORM": "wayland", "WAYLAND_DISPLAY": "w"}, "linux", no_library),
        # Everything in place.
        ({"DISPLAY": ":0"}, "linux", every_library),
    ],
)
def test_other_setups_are_left_to_qt(
    env: dict[str, str], platform: str, find_library: LibraryFinder
) -> None:
    assert display_problem(env, platform=platform, find_library=find_library) is None
