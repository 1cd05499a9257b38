"""A picture of the built app's main window, started as a user starts it.

    python packaging/screenshot_frozen.py [PNG]   (default docs/frozen-main-window.png)

Runs after `make dist`, on Linux: starts a virtual X display (Xvfb), starts
dist/pegasus-reports-<version>/pegasus-reports with no arguments and a
fresh data folder (a first run, which opens on the embedded demo), waits
until its main window is shown and has stopped changing (the catalog is
loaded), and saves the window as PNG. The app runs with an environment of
its own, without this project's Python on the PATH.

Missing Debian packages (Xvfb, xwininfo, the X11 libraries of Qt's xcb
plugin) are installed with apt-get, which needs root.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

from build import executable  # noqa: E402

DEFAULT_OUT = ROOT / "docs" / "frozen-main-window.png"
WINDOW_TITLE = "Pegasus Reports"
SCREEN = "1440x900x24"
# Debian packages: Xvfb, xwininfo, and what Qt's xcb plugin links to that a
# server install may lack.
PACKAGES = {
    "xvfb": "/usr/bin/Xvfb",
    "x11-utils": "/usr/bin/xwininfo",
    "libxcb-cursor0": None,
    "libxcb-icccm4": None,
    "libxcb-keysyms1": None,
    "libxkbcommon-x11-0": None,
}
T = TypeVar("T")
WINDOW_TIMEOUT = 60.0  # seconds for the window to appear
SETTLE_TIMEOUT = 60.0  # seconds for it to stop changing
STILL_FOR = 3.0  # seconds without a change that count as settled
POLL_EVERY = 0.5


def missing_packages() -> list[str]:
    missing = []
    for name in PACKAGES:
        found = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if "install ok installed" not in found.stdout:
            missing.append(name)
    return missing


def install_packages() -> None:
    missing = missing_packages()
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(
            f"missing Debian packages: {' '.join(missing)}; "
            "install them (apt-get install ...) or run this as root"
        )
    print(f"installing {' '.join(missing)}", flush=True)
    quiet = {"DEBIAN_FRONTEND": "noninteractive", **os.environ}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=quiet)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=quiet,
    )


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """Xvfb on a free display number, which it writes to a pipe when ready."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_end),
            "-screen",
            "0",
            SCREEN,
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    if not number:
        xvfb.kill()
        raise SystemExit("Xvfb did not start")
    return xvfb, f":{number}"


def start_app(display: str, folder: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """The built app as a user starts it: no arguments, a new data folder."""
    env = {
        "DISPLAY": display,
        "HOME": str(folder / "home"),
        "PEGASUS_REPORTS_DATA_DIR": str(folder / "data"),
        "PATH": "/usr/bin:/bin",
        "QT_QPA_PLATFORM": "xcb",
        "LANG": "C.UTF-8",
    }
    (folder / "home").mkdir()
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [str(executable())], env=env, stdout=log, stderr=subprocess.STDOUT
        )


def find_window(display: str) -> int | None:
    """The id of the app's main window, once it is mapped."""
    found = subprocess.run(
        ["xwininfo", "-display", display, "-name", WINDOW_TITLE],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in found.stdout.splitlines():
        if "Window id:" in line and "Map State: IsViewable" in found.stdout:
            return int(line.split("Window id:")[1].split()[0], 16)
    return None


def shown_window(app: subprocess.Popen[bytes], display: str) -> int | None:
    """The main window's id once shown; the app ending first is a failure."""
    if app.poll() is not None:
        raise SystemExit(f"the app exited with code {app.returncode}")
    return find_window(display)


def wait_for(what: str, timeout: float, check: Callable[[], T | None]) -> T:
    """check()'s first answer other than None; failing after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result is not None:
            return result
        time.sleep(POLL_EVERY)
    raise SystemExit(f"{what} within {timeout:.0f} s")


def grab_settled(display: str, window: int, out: Path) -> None:
    """Grab the window until it has not changed for STILL_FOR seconds."""
    os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    from PySide6.QtGui import QGuiApplication, QImage

    app = QGuiApplication([])
    screen = app.primaryScreen()
    last = screen.grabWindow(window).toImage()
    still_since = time.monotonic()

    def settled() -> QImage | None:
        nonlocal last, still_since
        image = screen.grabWindow(window).toImage()
        if image != last:
            last, still_since = image, time.monotonic()
        elif time.monotonic() - still_since >= STILL_FOR:
            return image
        return None

    image = wait_for("the window did not settle", SETTLE_TIMEOUT, settled)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out)):
        raise SystemExit(f"could not write {out}")
    print(f"saved {out} ({image.width()}x{image.height()})")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("png", nargs="?", type=Path, default=DEFAULT_OUT)
    out = parser.parse_args().png.resolve()
    if not executable().exists():
        raise SystemExit(f"no built app at {executable()}; run `make dist` first")

    install_packages()
    folder = Path(tempfile.mkdtemp(prefix="pegasus-reports-frozen-"))
    log_path = folder / "app.log"
    xvfb, display = start_xvfb()
    app = None
    try:
        app = start_app(display, folder, log_path)

        window = wait_for(
            "no main window", WINDOW_TIMEOUT, lambda: shown_window(app, display)
        )
        grab_settled(display, window, out)
        return 0
    except SystemExit as exc:
        tail = log_path.read_text("utf-8", "replace").splitlines()[-20:]
        print(f"{exc}; the app's last output:", *tail, sep="\n", file=sys.stderr)
        return 1
    finally:
        if app is not None:
            stop(app)
        stop(xvfb)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
