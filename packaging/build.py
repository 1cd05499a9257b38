"""Builds the one-folder app for this OS: `make dist`, or
`python packaging/build.py` with the project and its `build` extra installed.

Steps: draw the icons from resources/icons/app.svg (PNG at 16..1024 px with
Qt, then .ico and .icns with Pillow) into build/icons/, write the Windows
version resource from app.__version__, run PyInstaller with
packaging/pegasus-reports.spec, add the Linux desktop entry, and print the
folder's size and its largest items.

`python packaging/build.py --executable` only prints where the built
executable is (for CI scripts), without building.
"""

import argparse
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import APP_NAME, __version__  # noqa: E402

log = logging.getLogger("build")

NAME = "pegasus-reports"
SPEC = ROOT / "packaging" / "pegasus-reports.spec"
SVG = ROOT / "resources" / "icons" / "app.svg"
BUILD = ROOT / "build"
ICONS = BUILD / "icons"
DIST = ROOT / "dist"
DESKTOP_ENTRY = ROOT / "packaging" / "linux" / f"{NAME}.desktop"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
LARGEST_COUNT = 10
MB = 1024 * 1024


def dist_folder() -> Path:
    return DIST / f"{NAME}-{__version__}"


def executable() -> Path:
    """The built program: the file to run, on each OS."""
    if sys.platform == "win32":
        return dist_folder() / f"{NAME}.exe"
    if sys.platform == "darwin":
        return dist_folder() / f"{APP_NAME}.app" / "Contents" / "MacOS" / NAME
    return dist_folder() / NAME


def render_pngs() -> dict[int, Path]:
    """app.svg drawn by Qt at each size, as the app itself draws its icons."""
    # Drawing needs a QGuiApplication, and a build machine may have no display.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"cannot read the icon {SVG}")

    ICONS.mkdir(parents=True, exist_ok=True)
    pngs = {}
    for size in PNG_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = ICONS / f"app-{size}.png"
        if not image.save(str(path)):
            raise SystemExit(f"cannot write {path}")
        pngs[size] = path
    del app
    return pngs


def write_ico_icns(pngs: dict[int, Path]) -> None:
    """Windows .ico and macOS .icns, each size from its own drawing."""
    from PIL import Image

    images = {size: Image.open(path).convert("RGBA") for size, path in pngs.items()}
    largest = images[max(images)]

    ico_images = [images[size] for size in ICO_SIZES]
    ico_images[-1].save(
        ICONS / "app.ico",
        sizes=[(size, size) for size in ICO_SIZES],
        append_images=ico_images[:-1],
    )
    # Pillow picks each .icns size from the images given, else scales.
    largest.save(
        ICONS / "app.icns",
        append_images=[images[size] for size in PNG_SIZES if size != max(images)],
    )


def write_version_resource() -> Path:
    """The Windows version resource (file properties), from app.__version__."""
    numbers = [int(part) for part in __version__.split(".")[:4] if part.isdigit()]
    numbers += [0] * (4 - len(numbers))
    text = VERSION_TEMPLATE.format(
        numbers=tuple(numbers),
        version=__version__,
        name=APP_NAME,
        exe=f"{NAME}.exe",
    )
    path = BUILD / "version_info.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


VERSION_TEMPLATE = """\
# The Windows version resource, written by packaging/build.py.
VSVersionInfo(
  ffi=FixedFileInfo(filevers={numbers}, prodvers={numbers}, mask=0x3f,
                    flags=0x0, OS=0x40004, fileType=0x1, subtype=0x0,
                    date=(0, 0)),
  kids=[
    StringFileInfo([StringTable('040904B0', [
      StringStruct('CompanyName', '{name}'),
      StringStruct('FileDescription', '{name}'),
      StringStruct('FileVersion', '{version}'),
      StringStruct('InternalName', 'pegasus-reports'),
      StringStruct('OriginalFilename', '{exe}'),
      StringStruct('ProductName', '{name}'),
      StringStruct('ProductVersion', '{version}')])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""


def run_pyinstaller() -> None:
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level=WARN",
        f"--distpath={DIST}",
        f"--workpath={BUILD / 'pyinstaller'}",
        str(SPEC),
    ]
    log.info("running %s", " ".join(command))
    subprocess.run(command, cwd=ROOT, check=True)


def place_macos_bundle() -> None:
    """On macOS the folder holds the .app alone (the bundle has it all)."""
    bundle = DIST / f"{APP_NAME}.app"
    folder = dist_folder()
    shutil.rmtree(folder)
    folder.mkdir()
    shutil.move(str(bundle), str(folder / bundle.name))


def add_desktop_entry() -> None:
    """The Linux desktop entry and its icon, beside the executable."""
    folder = dist_folder()
    shutil.copy2(DESKTOP_ENTRY, folder / DESKTOP_ENTRY.name)
    shutil.copy2(ICONS / "app-256.png", folder / f"{NAME}.png")


def item_sizes(folder: Path) -> list[tuple[int, str]]:
    """Every file, with its size, by path under the folder."""
    sizes = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            sizes.append((path.stat().st_size, str(path.relative_to(folder))))
    return sizes


def report_size(folder: Path) -> None:
    sizes = item_sizes(folder)
    total = sum(size for size, _ in sizes)
    print(f"{folder.relative_to(ROOT)}: {total / MB:.1f} MiB in {len(sizes)} files")
    print(f"the {LARGEST_COUNT} largest:")
    for size, name in sorted(sizes, reverse=True)[:LARGEST_COUNT]:
        print(f"  {size / MB:7.1f} MiB  {name}")


def build() -> int:
    started = time.monotonic()

    pngs = render_pngs()
    write_ico_icns(pngs)
    write_version_resource()
    run_pyinstaller()

    if sys.platform == "darwin":
        place_macos_bundle()
    elif sys.platform.startswith("linux"):
        add_desktop_entry()

    report_size(dist_folder())
    print(f"executable: {executable().relative_to(ROOT)}")
    print(f"built in {time.monotonic() - started:.0f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--executable",
        action="store_true",
        help="print the built executable's path and exit",
    )
    args = parser.parse_args()
    if args.executable:
        print(executable())
        return 0

    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    try:
        return build()
    except subprocess.CalledProcessError as exc:
        print(f"PyInstaller failed (exit code {exc.returncode})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
