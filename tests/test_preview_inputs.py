"""What `preview` is given from outside: values, files, manifests and names.

Each is refused with one plain line (UsageError, exit status 2) rather than
a traceback, a hang, or JSON that no gateway takes.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.errors import UsageError
from app.headless import _read_args
from app.jsonlimits import MAX_DOCUMENT_BYTES
from app.manifest import load_manifest
from app.preview import chosen_script, printable_values, read_manifest, read_values


def manifest_text(properties: dict, *, name: str = "s") -> str:
    entry = {
        "script": name,
        "title": "S",
        "parameters_schema": {"type": "object", "properties": properties},
    }
    return json.dumps({"scripts": [entry]})


def preview(*args: str | Path) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    environ["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run(
        [sys.executable, "-m", "app", "preview", *map(str, args)],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


# --- --values is read as strict JSON -------------------------------------------


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ('{"min_idle": NaN}', "NaN is not a number JSON allows"),
        ('{"min_idle": -Infinity}', "-Infinity is not a number JSON allows"),
        ('{"min_idle": 1e999}', "the number 1e999 is too large"),
        ('{"min_idle": "\\ud800"}', "min_idle: the text holds a lone surrogate"),
    ],
)
def test_values_json_cannot_carry_are_refused(given: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        read_values(given)

    assert str(caught.value).startswith("--values cannot be used: ")
    assert words in str(caught.value)


def test_a_lone_surrogate_in_values_exits_2_without_a_traceback(tmp_path: Path):
    manifest = tmp_path / "m.json"
    manifest.write_text(manifest_text({"min_idle": {"type": "string"}}))

    result = preview(
        manifest,
        "--script",
        "s",
        "--png",
        tmp_path / "s.png",
        "--print-values",
        "--values",
        '{"min_idle": "\\ud800"}',
    )

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "lone surrogate" in result.stderr
    assert result.stdout == ""


def test_a_default_json_cannot_carry_is_not_printed(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    text = manifest_text({"x": {"type": "number", "default": 1}})
    manifest.write_text(text.replace('"default": 1', '"default": NaN'))

    result = preview(
        manifest, "--script", "s", "--png", tmp_path / "s.png", "--print-values"
    )

    assert result.returncode == 2
    # Refused as the manifest is loaded, naming where the NaN is.
    assert "the number NaN is not one JSON allows" in result.stderr
    assert "/properties/x/default" in result.stderr
    assert "NaN" not in result.stdout
    assert "Traceback" not in result.stderr


def test_printed_values_are_strict_json_or_refused() -> None:
    assert json.loads(printable_values({"a": [1, "é"]}, "s")) == {"a": [1, "é"]}

    with pytest.raises(UsageError, match="x: the text holds a lone surrogate"):
        printable_values({"x": "\ud800"}, "s")
    with pytest.raises(UsageError, match="y is not a finite number"):
        printable_values({"y": float("inf")}, "s")


def test_a_whole_number_default_too_large_to_send_is_a_manifest_problem() -> None:
    text = manifest_text(
        {
            "big": {"type": "integer", "default": 1.0},
            "float": {"type": "number", "default": 1.0},
        }
    ).replace('"default": 1.0', '"default": 1e308')

    script = load_manifest(text, source="m.json").script("s")

    assert script is not None
    assert not script.usable
    (problem,) = script.problems
    assert problem.pointer == "/scripts/0/parameters_schema/properties/big/default"
    assert "too large" in problem.message
    assert "100 digits" in problem.message


# --- Files are read only when regular, and within the size limit ---------------


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_device_is_refused_as_manifest_values_or_args() -> None:
    with pytest.raises(UsageError, match="is not a regular file"):
        read_manifest(Path("/dev/zero"))
    with pytest.raises(UsageError, match="is not a regular file"):
        read_values("@/dev/zero")
    with pytest.raises(UsageError, match="is not a regular file"):
        _read_args("@/dev/zero")


@pytest.mark.timeout(30)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "values"
    os.mkfifo(fifo)

    with pytest.raises(UsageError, match="is not a regular file"):
        read_values(f"@{fifo}")
    with pytest.raises(UsageError, match="is not a regular file"):
        read_manifest(fifo)
    with pytest.raises(UsageError, match="is not a regular file"):
        _read_args(f"@{fifo}")


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_DOCUMENT_BYTES + 1))

    with pytest.raises(UsageError, match="is larger than 5 MB"):
        read_values(f"@{big}")
    with pytest.raises(UsageError, match="is larger than 5 MB"):
        read_manifest(big)


# --- Names from a manifest are printed safely ----------------------------------


def test_script_names_in_messages_are_escaped_and_clipped() -> None:
    hostile = "a\nb\x1b[31mRED\x1b[0m"
    document = {
        "scripts": [
            {"script": hostile, "title": "T"},
            {"script": "x" * 3000, "title": "T"},
        ]
    }
    manifest = load_manifest(json.dumps(document), source="m.json")

    with pytest.raises(UsageError) as caught:
        chosen_script(manifest, "s\x1b]0;title\x07", Path("m.json"))

    message = str(caught.value)
    assert "\n" not in message
    assert "\x1b" not in message
    assert "\x07" not in message
    assert "'a\\nb\\x1b[31mRED\\x1b[0m'" in message
    assert "x" * 3000 not in message
    assert len(message) < 1000


# --- Manifest shape errors in plain words ---------------------------------------


@pytest.mark.parametrize(
    ("schema", "pointer", "words"),
    [
        (
            {"type": "object", "properties": {"x": 5}},
            "/properties/x",
            "must be a schema (an object, or true or false), not a whole number",
        ),
        (
            {"type": "object", "properties": [1, 2]},
            "/properties",
            "must be an object, not a list",
        ),
        (
            {"$id": 5, "type": "object", "properties": {}},
            "/$id",
            "must be text, not a whole number (5)",
        ),
    ],
)
def test_a_schema_of_the_wrong_shape_is_said_in_plain_words(
    schema: dict, pointer: str, words: str
) -> None:
    document = {"scripts": [{"script": "s", "title": "S", "parameters_schema": schema}]}

    script = load_manifest(json.dumps(document), source="m.json").script("s")

    assert script is not None
    assert not script.usable
    problem = script.problems[0]
    assert problem.pointer == "/scripts/0/parameters_schema" + pointer
    assert words in problem.message
    for internal in ("'int'", "'list'", "attribute", "iterable", "object has no"):
        assert internal not in problem.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("null", "the manifest must be a JSON object with a list of scripts, not null"),
        ("[1, 2]", "must be a JSON object with a list of scripts, not a list"),
        ('"x"', "must be a JSON object with a list of scripts, not text"),
        ('{"scripts": {"s": {}}}', "scripts must be a list, not an object"),
        ("{}", "the manifest has no list of scripts"),
    ],
)
def test_a_manifest_of_the_wrong_shape_says_so(tmp_path: Path, text: str, words: str):
    path = tmp_path / "m.json"
    path.write_text(text)

    with pytest.raises(UsageError) as caught:
        read_manifest(path)

    assert words in str(caught.value)
    assert "its scripts are" not in str(caught.value)
