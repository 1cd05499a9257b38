"""Running one report: arguments, checks, the job, and its files.

The window and `python -m app run` both go through here, so a report runs
the same way from either: build the job's args from the form values, check
them against the script's schema, create the job, follow it to its end and
download its files.
"""

import contextlib
import copy
import logging
import os
import tempfile
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.errors import GatewayError, JobError, PegasusError, UsageError
from app.gateway import Gateway, job_body
from app.jobs import Job, JobListener, follow
from app.manifest import Script
from app.parameter_checks import check_known_values
from app.validation import field_errors, summary

log = logging.getLogger(__name__)

FileListener = Callable[[Path], None]

# Args the app itself adds to a job (PEGASUS_API.md §5.2), wanted or not.
ADDED_BY_THE_APP = frozenset({"tz", "prefs"})

# User prefs (PEGASUS_API.md §8.2) to job prefs; both spellings seen.
_DISTANCE = {"km": "km", "kilometer": "km", "kilometers": "km", "meter": "km"}
_DISTANCE |= {"mile": "mile", "miles": "mile", "mi": "mile"}
_SPEED = {"km": "kph", "mile": "mph"}
_VOLUME = {"liter": "liter", "liters": "liter", "l": "liter", "litre": "liter"}
_VOLUME |= {"gallon": "gallon", "gallons": "gallon", "gal": "gallon"}


def build_args(
    script: Script,
    values: dict[str, Any],
    *,
    tz: str | None = None,
    prefs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The job's args: the form values, plus tz and prefs where they fit.

    Gateways expect `tz` and `prefs` in args (PEGASUS_API.md §5.2). They are
    added when the values lack them and the schema would accept them, so a
    script that forbids extra properties, or wants other units, still gets
    args that pass its schema.
    """
    args = copy.deepcopy(values)
    schema = _schema_of(script)
    baseline = set(field_errors(schema, args))

    for key, value in (("tz", tz), ("prefs", prefs)):
        if value is None or value == {} or key in args:
            continue
        fitted = _fitted(schema, args, key, copy.deepcopy(value), baseline)
        if not fitted:
            log.debug("%s: %s left out (the schema refuses it)", script.script, key)
        else:
            args[key] = fitted
    return args


def check_args(script: Script, args: dict[str, Any]) -> None:
    """Raise UsageError naming each invalid field, if args do not fit.

    A name the script does not list is refused even where its schema would
    let it pass: a misspelled `frm` would otherwise be ignored by the
    engine, and the report run without the value meant. Time zones and the
    period are checked as the engine would (app.parameter_checks).
    """
    if not script.usable:
        problems = "; ".join(str(p) for p in script.problems if p.severity == "error")
        raise UsageError(
            f"the report {script.script!r} cannot be run: its manifest is "
            f"broken ({problems})"
        )

    unknown = unknown_parameters(script, args)
    if unknown:
        raise UsageError(_unknown_message(script, unknown))

    errors = field_errors(_schema_of(script), args)
    if errors:
        raise UsageError(
            f"the parameters of {script.script!r} are not valid: {summary(errors)}"
        )
    # What only the engine would otherwise find, after the job is made.
    check_known_values(script, args)


def unknown_parameters(script: Script, args: dict[str, Any]) -> list[str]:
    """The top-level names in args that the script's schema does not list.

    tz and prefs are never unknown: the app adds them wherever a schema lets
    them in. A schema that takes names of its own choosing (patterns, or a
    schema for any other name) has no unknown names.
    """
    schema = script.schema
    if "patternProperties" in schema or isinstance(
        schema.get("additionalProperties"), dict
    ):
        return []
    known = set(parameter_names(script)) | ADDED_BY_THE_APP
    return [name for name in args if name not in known]


def parameter_names(script: Script) -> list[str]:
    """The parameters a script lists, in the order its schema gives them.

    Names listed in a top-level allOf/anyOf/oneOf or if/then/else branch
    count too: a value there is not unknown.
    """
    schema = script.schema
    branches: list[Any] = [schema]
    for keyword in ("allOf", "anyOf", "oneOf"):
        listed = schema.get(keyword)
        if isinstance(listed, list):
            branches.extend(listed)
    branches.extend(schema.get(keyword) for keyword in ("if", "then", "else"))

    names: dict[str, None] = {}
    for branch in branches:
        properties = branch.get("properties") if isinstance(branch, dict) else None
        if isinstance(properties, dict):
            names.update(dict.fromkeys(properties))
    return list(names)


def _unknown_message(script: Script, unknown: list[str]) -> str:
    """ "unknown parameter 'frm'; this report takes: from, to, vehicles" """
    quoted = ", ".join(repr(name) for name in unknown)
    noun = "parameter" if len(unknown) == 1 else "parameters"
    names = parameter_names(script)
    takes = f"takes: {', '.join(names)}" if names else "takes no parameters"
    return f"unknown {noun} {quoted}; this report {takes}"


async def start_run(
    gateway: Gateway,
    script: Script,
    args: dict[str, Any],
    *,
    name: str | None = None,
) -> Job:
    """Check the args and create the job on the script's engine."""
    check_args(script, args)
    return await gateway.send_job(job_request_body(script, args, name=name))


def job_request_body(
    script: Script, args: dict[str, Any], *, name: str | None = None
) -> dict[str, Any]:
    """The body start_run sends to create the job, e.g. to show it first."""
    return job_body(
        script=script.script,
        name=name or script.title or script.script,
        engine=script.engine_url,
        args=args,
    )


async def download_files(
    gateway: Gateway,
    job: Job,
    folder: Path,
    *,
    on_file: FileListener | None = None,
) -> list[Path]:
    """Save every file of a finished job in folder, one after another.

    A file that cannot be had (a name that is a path, a network failure, a
    full disk) does not stop the others: each is tried, and then one
    GatewayError names those that failed and why.
    """
    paths: list[Path] = []
    failures: list[tuple[str, Exception]] = []
    for filename in job.files:
        try:
            path = await gateway.download(job.id, filename, folder)
        except (PegasusError, OSError) as exc:
            log.warning("job %s: %s was not downloaded: %s", job.id, filename, exc)
            failures.append((filename, exc))
            continue
        paths.append(path)
        if on_file is not None:
            on_file(path)

    if failures:
        raise GatewayError(
            _failed_files_message(job, folder, failures, saved=len(paths))
        ) from failures[0][1]
    return paths


def folder_problem(folder: Path) -> str | None:
    """Why files could not be saved in folder, in a few words; None if they can.

    A folder that does not exist yet must be one that can be made. It is
    made to find out, then removed again with any parents made for it, so
    that a report that fails later leaves no empty folder behind.
    """
    try:
        if folder.exists() and not folder.is_dir():
            return "it is a file, not a folder"
    except OSError as exc:  # a parent this user may not look into
        return f"it cannot be looked at ({_reason(exc)})"

    missing = [p for p in (folder, *folder.parents) if not os.path.lexists(p)]
    try:
        return _write_problem(folder)
    finally:
        for path in missing:  # the deepest first; rmdir leaves a full one
            with contextlib.suppress(OSError):
                path.rmdir()


def _write_problem(folder: Path) -> str | None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"the folder cannot be made there ({_reason(exc)})"
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".pegasus-check-"):
            pass
    except OSError as exc:
        return f"files cannot be written in it ({_reason(exc)})"
    return None


def _failed_files_message(
    job: Job, folder: Path, failures: list[tuple[str, Exception]], *, saved: int
) -> str:
    """ "2 of the 3 files of job 5 could not be downloaded: a.csv (why); ..." """
    count = len(job.files)
    what = "the file" if count == 1 else f"{len(failures)} of the {count} files"
    reasons = "; ".join(f"{name!r} ({_reason(exc)})" for name, exc in failures)
    message = f"{what} of job {job.id} could not be downloaded: {reasons}"
    if saved:
        message += (
            f"; the other {saved} {'is' if saved == 1 else 'are'} saved in {folder}"
        )
    return message


def _reason(error: Exception) -> str:
    # The disk's own words ("No space left on device"), not errno's number.
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error)


async def run_report(
    gateway: Gateway,
    script: Script,
    args: dict[str, Any],
    folder: Path,
    *,
    on_update: JobListener | None = None,
    on_file: FileListener | None = None,
    name: str | None = None,
) -> list[Path]:
    """Start the job, follow it, download its files; their paths.

    on_update sees the job as created, then each change. Raises JobError
    with the engine's message when the job ends in error.
    """
    job = await start_run(gateway, script, args, name=name)
    if on_update is not None:
        on_update(job)

    job = await follow(gateway, job.id, on_update, known=job)
    if job.state == "error":
        raise JobError(job.error or f"job {job.id} ended in error without a message")
    return await download_files(gateway, job, folder, on_file=on_file)


def user_job_prefs(user: dict[str, Any]) -> dict[str, str]:
    """Job prefs (distance, speed, volume, language) from a user's prefs."""
    raw = user.get("prefs")
    prefs = raw if isinstance(raw, dict) else {}
    result: dict[str, str] = {}

    distance = _word(prefs.get("distance") or prefs.get("distanceunits"))
    if distance in _DISTANCE:
        result["distance"] = _DISTANCE[distance]
        result["speed"] = _SPEED[result["distance"]]
    speed = _word(prefs.get("speed"))
    if speed in ("kph", "mph"):
        result["speed"] = speed

    volume = _word(
        prefs.get("volume") or prefs.get("fuelunits") or prefs.get("volumeunits")
    )
    if volume in _VOLUME:
        result["volume"] = _VOLUME[volume]

    language = _word(prefs.get("language") or prefs.get("lang"))
    if language:
        result["language"] = language.split("-")[0].split("_")[0]
    return result


def user_tz(user: dict[str, Any]) -> str:
    """The user's time zone from the gateway, else this computer's zone."""
    raw = user.get("prefs")
    prefs = raw if isinstance(raw, dict) else {}
    for value in (
        prefs.get("tz"),
        prefs.get("timezone"),
        prefs.get("time_zone"),
        user.get("tz"),
        user.get("timezone"),
    ):
        if isinstance(value, str) and is_time_zone(value.strip()):
            return value.strip()
    return local_zone()


def local_zone() -> str:
    """This computer's IANA time zone name, or "UTC" when it cannot be told."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
        with open("/etc/timezone", encoding="utf-8") as handle:
            candidates.append(handle.read().strip())
    except OSError:
        pass

    # TODO(runs): Windows zones are not read, so a Windows user's reports
    # default to UTC unless the gateway holds their time zone.
    return next((name for name in candidates if is_time_zone(name)), "UTC")


def is_time_zone(name: str) -> bool:
    """Whether name is an IANA time zone this computer knows, e.g. "UTC"."""
    if not name or name.startswith("/") or ".." in name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _fitted(
    schema: dict[str, Any],
    args: dict[str, Any],
    key: str,
    value: Any,
    baseline: set[str],
) -> Any:
    """value, less any part the schema refuses at args[key]; None if all."""
    for _attempt in range(2):
        new_errors = set(field_errors(schema, {**args, key: value})) - baseline
        refused = [p for p in new_errors if p == key or p.startswith(key + "/")]
        if not refused:
            return value
        # A pref the script does not take (a language it lacks) is dropped alone.
        parts = {p.split("/")[1] for p in refused if p.count("/") == 1}
        if not isinstance(value, dict) or len(parts) != len(refused):
            return None
        value = {k: v for k, v in value.items() if k not in parts}
    return None


def _schema_of(script: Script) -> dict[str, Any]:
    return script.validation_schema or script.schema


def _word(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else ""
