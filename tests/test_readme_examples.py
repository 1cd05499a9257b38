"""The README's examples work as written, pasted into a shell."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"


def example_under(heading: str) -> str:
    """The first ```sh block after a heading of the README."""
    text = README.read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match is not None, f"no example under {heading}"
    return match.group(1).strip()


def test_the_preview_example_draws_a_shipped_manifest(tmp_path: Path) -> None:
    example = example_under("### Preview a manifest")
    assert example.startswith(".venv/bin/python -m app preview ")
    picture = tmp_path / "trips.png"
    command = example.replace(".venv/bin/python", shlex.quote(sys.executable), 1)
    command = command.replace(" trips.png ", f" {shlex.quote(str(picture))} ", 1)
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    result = subprocess.run(
        ["bash", "-c", command],
        capture_output=True, text=True, env=environ, cwd=ROOT, timeout=120,
        check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "problem" not in result.stderr
    assert picture.read_bytes().startswith(b"\x89PNG")
    sent = json.loads(result.stdout)
    assert sent["vehicles"] == [1, 2]
    assert sent["from"] < sent["to"]
