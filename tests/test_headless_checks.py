"""`python -m app run` refuses, with exit status 2 and before any job is
created, the parameters the engine would refuse: an unknown time zone, a
period its script does not take, vehicles or groups the gateway lacks.

Each run is a process of its own against the demo gateway and engine.
"""

import datetime as dt
import json
import os
import subprocess
from typing import Any

import pytest

from app.children import app_command
from app.engine.params import MAX_PERIOD
from app.errors import UsageError
from app.local_stack import DemoStack
from app.manifest import Script, load_manifest
from app.parameter_checks import check_known_values
from app.runs import check_args

PERIOD = {"from": "2026-11-02T00:00:00", "to": "2026-11-03T00:00:00"}
ENGINE_MANIFEST = "app/engine/manifest.json"

Result = subprocess.CompletedProcess[str]


def run_app(*args: str, env: dict[str, str] | None = None) -> Result:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PEGASUS_")}
    return subprocess.run(
        app_command("run", *args),
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=150,
        check=False,
    )


def on_demo(stack: DemoStack, script: str, values: dict[str, Any]) -> Result:
    return run_app(
        "--gateway", stack.gateway_url, "--user", stack.username,
        "--script", script, "--args", json.dumps(values),
        env={"PEGASUS_PASSWORD": stack.password},
    )  # fmt: skip


def refusal(result: Result) -> str:
    """The one line of a run refused before its job: exit 2, nothing else."""
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    # A job made first would have said "job N trips: created" here.
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_unknown_time_zone_on_its_own_demo_exits_2_before_the_job() -> None:
    values = {**PERIOD, "tz": "Mars/Base"}

    result = run_app("--demo", "--script", "trips", "--args", json.dumps(values))

    assert refusal(result) == (
        "error: parameter 'tz' must be a known time zone such as "
        "America/New_York or UTC, not 'Mars/Base'"
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"from": "2025-01-01T00:00:00", "to": "2026-11-03T00:00:00"},
            "error: parameters 'from' and 'to': the period is longer than 366 "
            "days, the most this report takes; run it on shorter periods",
        ),
        (
            {"from": PERIOD["to"], "to": PERIOD["from"]},
            "error: the parameters of 'trips' are not valid: parameter 'to' must "
            "be after the start (from)",
        ),
        (
            {**PERIOD, "vehicles": [999, 1000]},
            "error: parameter 'vehicles': 999, 1000 are not among the "
            "gateway's vehicles",
        ),
        (
            {**PERIOD, "groups": [999]},
            "error: parameter 'groups': 999 is not among the gateway's groups",
        ),
    ],
)
def test_parameters_the_engine_would_refuse_exit_2_naming_the_field(
    demo_stack: DemoStack, values: dict[str, Any], expected: str
) -> None:
    assert refusal(on_demo(demo_stack, "trips", values)) == expected


def engine_script(name: str) -> Script:
    with open(ENGINE_MANIFEST, encoding="utf-8") as stream:
        script = load_manifest(json.load(stream), source="engine").script(name)
    assert script is not None
    return script


def test_the_engines_manifest_says_the_period_rules_the_engine_keeps() -> None:
    for name in ("idling", "trips"):
        rules = engine_script(name).schema["peg_period"]
        assert rules == {"max_days": MAX_PERIOD.days, "starts_in_past": True}


def test_a_script_that_says_no_period_rules_is_not_held_to_any() -> None:
    script = engine_script("trips")
    script.schema = {k: v for k, v in script.schema.items() if k != "peg_period"}
    long_ago = {"from": "2020-01-01T00:00:00", "to": "2099-01-01T00:00:00"}

    check_known_values(script, {**long_ago, "tz": "UTC"})


def test_a_period_without_a_zone_is_not_held_to_now() -> None:
    # Without tz in the args the gateway's zone applies, unknown here.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=6)
    values = {"from": later.strftime("%Y-%m-%dT%H:%M:%S")}
    values["to"] = (later + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")

    check_known_values(engine_script("trips"), values)
    with pytest.raises(UsageError, match="after now"):
        check_known_values(engine_script("trips"), {**values, "tz": "UTC"})


def test_a_time_zone_field_anywhere_in_the_values_is_checked() -> None:
    manifest = {
        "definitions": {"zone": {"type": "string", "peg_type": "$tz"}},
        "scripts": [
            {
                "script": "s",
                "title": "S",
                "parameters_schema": {
                    "type": "object",
                    "properties": {
                        "stops": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"where": {"$ref": "#/definitions/zone"}},
                            },
                        }
                    },
                },
            }
        ],
    }
    script = load_manifest(manifest, source="x").scripts[0]

    check_args(script, {"stops": [{"where": "Europe/Paris"}]})
    with pytest.raises(UsageError, match="parameter 'stops/1/where' must be a known"):
        check_args(script, {"stops": [{"where": "UTC"}, {"where": "Moon/Tycho"}]})
