"""`python -m app preview`: a manifest's form as a PNG, and the JSON it sends.

Each test runs the command as a person would, in a process of its own with
no display, on the manifests in tests/data/manifests.
"""

import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from app.manifest import Script, load_manifest
from app.validation import field_errors

MANIFESTS = Path(__file__).parent / "data" / "manifests"
GATEWAY = MANIFESTS / "gateway-default.json"
QUIRKS = MANIFESTS / "doc-quirks.json"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Exactly what idling's schema allows, every field given.
IDLING_VALUES = {
    "from": "2026-11-01T00:00:00",
    "to": "2026-11-08T00:00:00",
    "vehicles": [2, 3],
    "min_idle": 15,
    "prefs": {"distance": "mile", "speed": "mph", "volume": "gallon", "language": "es"},
    "tz": "America/Mexico_City",
    "formats": ["csv"],
}


def preview(*args: str | Path) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    environ.pop("WAYLAND_DISPLAY", None)
    # The command must choose offscreen drawing itself when there is no display.
    environ.pop("QT_QPA_PLATFORM", None)
    return subprocess.run(
        [sys.executable, "-m", "app", "preview", *map(str, args)],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


def script_of(path: Path, name: str) -> Script:
    script = load_manifest(path.read_bytes(), source=str(path)).script(name)
    assert script is not None
    return script


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit status 2, one line starting with error:, naming each word."""
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]
    assert result.stdout == ""
    return lines[0]


def test_the_form_is_a_picture_and_the_printed_values_fit_the_schema(
    qapp: Any, tmp_path: Path
) -> None:
    png = tmp_path / "idling.png"

    result = preview(GATEWAY, "--script", "idling", "--png", png, "--print-values")

    assert result.returncode == 0, result.stderr
    width, height = png_size(png)
    # A form of a dozen fields: wider than a phone, taller than a few rows.
    assert 600 <= width <= 1200
    assert 600 <= height <= 8000
    image = QImage(str(png))
    assert not image.isNull()
    assert (image.width(), image.height()) == (width, height)

    sent = json.loads(result.stdout)
    script = script_of(GATEWAY, "idling")
    assert field_errors(script.validation_schema, sent) == {}
    # The defaults the manifest writes are applied.
    assert sent["min_idle"] == 5
    assert sent["formats"] == ["json", "csv"]
    assert sent["prefs"]["distance"] == "km"


def test_values_given_come_back_as_given(tmp_path: Path) -> None:
    png = tmp_path / "idling.png"

    result = preview(
        GATEWAY,
        "--script",
        "idling",
        "--png",
        png,
        "--values",
        json.dumps(IDLING_VALUES),
        "--print-values",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == IDLING_VALUES
    assert png_size(png)[1] > 300


def test_values_may_come_from_a_file(tmp_path: Path) -> None:
    values = tmp_path / "values.json"
    values.write_text(json.dumps(IDLING_VALUES), encoding="utf-8")
    png = tmp_path / "idling.png"

    result = preview(
        GATEWAY,
        "--script",
        "idling",
        "--png",
        png,
        "--values",
        f"@{values}",
        "--print-values",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == IDLING_VALUES


@pytest.mark.parametrize("name", ["my_report", "no_params"])
def test_string_references_and_scripts_without_parameters_render(
    tmp_path: Path, name: str
) -> None:
    png = tmp_path / f"{name}.png"

    result = preview(QUIRKS, "--script", name, "--png", png, "--print-values")

    assert result.returncode == 0, result.stderr
    width, height = png_size(png)
    assert width >= 600
    assert height >= 40
    sent = json.loads(result.stdout)
    assert field_errors(script_of(QUIRKS, name).validation_schema, sent) == {}


def test_without_print_values_nothing_is_printed(tmp_path: Path) -> None:
    png = tmp_path / "trips.png"

    result = preview(GATEWAY, "--script", "trips", "--png", png)

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert png.read_bytes().startswith(PNG_SIGNATURE)


def test_an_unknown_script_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    png = tmp_path / "x.png"

    result = preview(GATEWAY, "--script", "idle", "--png", png)

    line = assert_refused(result, "'idle'", "idling", "trips", "temperature")
    assert "gateway-default.json" in line
    assert not png.exists()


@pytest.mark.parametrize(
    ("manifest", "name", "words"),
    [
        ("not-json.json", "r1", ["not valid JSON", "line 1, column"]),
        (
            "circular-ref.json",
            "loop",
            ["cycle", "#/definitions/a", "#/definitions/b", "/scripts/0"],
        ),
        ("missing-definition.json", "r1", ["#/definitions/to", "/scripts/0"]),
        ("script-name-space.json", "my report", ["contains a space", "/scripts/0"]),
    ],
)
def test_a_broken_manifest_is_refused_saying_what_and_where(
    tmp_path: Path, manifest: str, name: str, words: list[str]
) -> None:
    png = tmp_path / "x.png"

    result = preview(MANIFESTS / "bad" / manifest, "--script", name, "--png", png)

    assert_refused(result, *words)
    assert not png.exists()


def test_a_missing_manifest_file_is_refused(tmp_path: Path) -> None:
    result = preview(tmp_path / "none.json", "--script", "a", "--png", tmp_path / "x")

    assert_refused(result, "none.json", "No such file")


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ('{"min_idle": 5,}', ["--values", "not valid JSON", "line 1, column"]),
        ("[1, 2]", ["--values", "JSON object"]),
        ("@missing.json", ["missing.json", "No such file"]),
        ('{"min_idel": 5}', ["'min_idel'", "does not take", "min_idle"]),
    ],
)
def test_values_that_cannot_be_loaded_are_refused(
    tmp_path: Path, values: str, words: list[str]
) -> None:
    png = tmp_path / "x.png"

    result = preview(GATEWAY, "--script", "idling", "--png", png, "--values", values)

    assert_refused(result, *words)
    assert not png.exists()


@pytest.mark.parametrize("where", ["no-such-folder/x.png", "."])
def test_a_picture_that_cannot_be_written_is_refused(
    tmp_path: Path, where: str
) -> None:
    png = tmp_path / where

    result = preview(GATEWAY, "--script", "idling", "--png", png, "--print-values")

    assert_refused(result, "cannot write the picture", str(tmp_path))
