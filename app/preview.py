"""`python -m app preview`: a script's form as a picture, for manifest authors.

The manifest file is read with the app's own manifest code (every `$ref`
resolved, every problem found), the named script's form is built offscreen
by the window's own form widget (widgets/preview.py), optionally filled with
--values, and saved as a PNG. --print-values prints the JSON the form would
send, defaults applied. Whatever the user got wrong (an unknown script, a
broken manifest, values that are not JSON, a picture that cannot be written)
is a UsageError: one line, exit status 2.

Like app/gui.py, this is a composition root: the only other module of app/
that uses widgets, and only through widgets.preview, imported once the
arguments are known to be good.
"""

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from app.bounded_files import read_bounded
from app.display_text import quoted, shown_name
from app.errors import UsageError
from app.jsonlimits import (
    LONE_SURROGATE_PROBLEM,
    JsonLimitError,
    lone_surrogate_paths,
    nonfinite_paths,
    read_json,
)
from app.manifest import Manifest, Script, load_manifest
from app.runs import parameter_names, unknown_parameters

log = logging.getLogger(__name__)

NAMES_SHOWN = 30
# Problems of unnamed scripts listed when a script is not found.
PROBLEMS_SHOWN = 5


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", metavar="MANIFEST", help="a manifest JSON file")
    parser.add_argument(
        "--script", required=True, metavar="NAME", help="the script whose form to show"
    )
    parser.add_argument(
        "--png", required=True, metavar="FILE", help="where to save the picture"
    )
    parser.add_argument(
        "--values",
        metavar="JSON",
        help="values to fill in: JSON text, or @FILE to read it from a file",
    )
    parser.add_argument(
        "--print-values",
        action="store_true",
        help="print the JSON the form would send (defaults applied)",
    )


def main(args: argparse.Namespace) -> int:
    manifest_path = Path(args.manifest)
    script = chosen_script(read_manifest(manifest_path), args.script, manifest_path)
    values = read_values(args.values) if args.values is not None else None
    if values is not None:
        check_names(script, values)

    # No display is needed to draw a form: without one, Qt draws offscreen.
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from widgets.preview import render_form

    picture, sent = render_form(script, values)
    write_picture(Path(args.png), picture)
    log.info("the form of %s is saved in %s", script.script, args.png)

    if args.print_values:
        sys.stdout.write(printable_values(sent, script.script) + "\n")
    return 0


def read_manifest(path: Path) -> Manifest:
    """The manifest in the file; UsageError if it cannot be read at all."""
    text = read_bounded(path, f"the manifest {quoted(str(path))}")
    manifest = load_manifest(text, source=str(path))
    errors = [str(p) for p in manifest.problems if p.severity == "error"]
    if errors:
        raise UsageError(
            f"the manifest {quoted(str(path))} cannot be used: {'; '.join(errors)}"
        )
    return manifest


def chosen_script(manifest: Manifest, name: str, path: Path) -> Script:
    """The script called name, usable; UsageError naming what is wrong."""
    script = manifest.script(name)
    if script is None:
        names = list(dict.fromkeys(s.script for s in manifest.scripts if s.script))
        listed = ", ".join(shown_name(n) for n in names[:NAMES_SHOWN]) or "none"
        if len(names) > NAMES_SHOWN:
            listed += f" and {len(names) - NAMES_SHOWN} more"
        raise UsageError(
            f"the manifest {quoted(str(path))} has no script {quoted(name)}; "
            f"its scripts are: {listed}{_unnamed(manifest)}"
        )

    errors = [str(p) for p in script.problems if p.severity == "error"]
    if errors:
        raise UsageError(
            f"the script {quoted(name)} in {quoted(str(path))} is broken: "
            f"{'; '.join(errors)}"
        )
    return script


def _unnamed(manifest: Manifest) -> str:
    """Why entries of scripts have no name, in the manifest loader's words:
    "" when each has one. A script left out without a word would send the
    user looking for a misspelling that is not there."""
    reasons = [
        str(problem)
        for script in manifest.scripts
        if not script.script
        for problem in script.problems
        if problem.severity == "error"
    ]
    if not reasons:
        return ""
    shown = "; ".join(reasons[:PROBLEMS_SHOWN])
    if len(reasons) > PROBLEMS_SHOWN:
        shown += f"; and {len(reasons) - PROBLEMS_SHOWN} more"
    return f"; entries without a name are left out: {shown}"


def read_values(given: str) -> dict[str, Any]:
    """--values as a JSON object: the text itself, or @FILE's content."""
    where = "--values"
    text: str | bytes = given
    if given.startswith("@"):
        where = f"the values file {quoted(given[1:])}"
        text = read_bounded(Path(given[1:]), where)

    try:
        # Strict: NaN, Infinity, 1e999 and lone surrogates are no JSON a
        # gateway takes, so they are refused here, not printed back.
        values = read_json(text, strict=True)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}"
        ) from exc
    except (JsonLimitError, ValueError) as exc:
        raise UsageError(f"{where} cannot be used: {exc}") from exc
    if not isinstance(values, dict):
        raise UsageError(
            f"{where} must be a JSON object of parameters, e.g. '{{\"min_idle\": 10}}'"
        )
    return values


def printable_values(values: Any, script: str) -> str:
    """values as JSON text; UsageError for what JSON cannot hold (a NaN or a
    lone surrogate from a manifest's default), naming the field."""
    place = next(lone_surrogate_paths(values), None)
    if place is not None:
        raise UsageError(
            f"the values of {quoted(script)} cannot be printed: "
            f"{place or 'the value'}: {LONE_SURROGATE_PROBLEM}"
        )
    place = next(nonfinite_paths(values), None)
    if place is not None:
        raise UsageError(
            f"the values of {quoted(script)} cannot be printed as JSON: "
            f"{place or 'the value'} is not a finite number (NaN or Infinity)"
        )
    return json.dumps(values, indent=2, ensure_ascii=False, allow_nan=False)


def check_names(script: Script, values: dict[str, Any]) -> None:
    """UsageError for a name the script does not take (a misspelling would
    otherwise be dropped from the form without a word)."""
    unknown = unknown_parameters(script, values)
    if unknown:
        names = ", ".join(map(shown_name, parameter_names(script))) or "none"
        raise UsageError(
            f"--values names {', '.join(quoted(n) for n in unknown)}, which the "
            f"script {quoted(script.script)} does not take; it takes: {names}"
        )


def write_picture(path: Path, picture: bytes) -> None:
    """Save the PNG; UsageError saying why it cannot be written there."""
    try:
        path.write_bytes(picture)
    except OSError as exc:
        raise UsageError(
            f"cannot write the picture to {quoted(str(path))}: {exc.strerror or exc}"
        ) from exc
