"""`python -m app run`, as a user runs it: a process, its output, its status."""

import csv
import json
import os
import signal
import subprocess
from pathlib import Path

import httpx
import psutil
import pytest
from support.servers import closed_port
from support.trips import assert_plausible_trips

from app.children import app_command
from app.local_stack import DemoStack

PERIOD = {"from": "2026-11-02T00:00:00", "to": "2026-11-03T00:00:00"}
SECRET_ENV = ("PEGASUS_TOKEN", "PEGASUS_PASSWORD")

Result = subprocess.CompletedProcess[str]


def run_app(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run `python -m app run ARGS` to its end; its status and output."""
    base = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
    return subprocess.run(
        app_command("run", *args),
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=150,
        check=False,
    )


def on_demo(stack: DemoStack, *args: str) -> Result:
    """Run against the session's demo gateway, the password in the environment."""
    return run_app(
        "--gateway",
        stack.gateway_url,
        "--user",
        stack.username,
        *args,
        env={"PEGASUS_PASSWORD": stack.password},
    )


def assert_clean_failure(result: Result, status: int) -> str:
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    return result.stderr


@pytest.mark.slow
def test_the_demo_run_of_trips_saves_a_json_and_a_csv(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    values = {**PERIOD, "vehicles": [1, 2]}  # the brief's acceptance command

    result = run_app(
        "--demo", "--script", "trips", "--args", json.dumps(values), "--out", str(out)
    )

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    printed = [Path(line) for line in result.stdout.splitlines()]
    assert sorted(p.name for p in printed) == ["trips.csv", "trips.json"]
    assert sorted(p.name for p in out.iterdir()) == ["trips.csv", "trips.json"]
    assert "done 100%" in result.stderr

    with (out / "trips.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    document = json.loads((out / "trips.json").read_text())
    assert rows
    assert {row["vid"] for row in rows} <= {"1", "2"}
    assert len(document["rows"]) == len(rows)
    assert_plausible_trips(rows)


def test_progress_goes_to_stderr_and_paths_to_stdout(
    demo_stack: DemoStack, tmp_path: Path
) -> None:
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({**PERIOD, "vehicles": first_vehicle(demo_stack)}))

    result = on_demo(
        demo_stack,
        "--script",
        "idling",
        "--args",
        f"@{args_file}",
        "--out",
        str(tmp_path / "out"),
    )

    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.splitlines()]
    assert paths
    assert all(p.is_file() and p.parent == tmp_path / "out" for p in paths)
    progress = result.stderr.splitlines()
    assert progress[0].endswith("idling: created 0%")
    assert progress[-1].endswith("idling: done 100%")


def test_a_token_from_the_environment_is_enough(
    demo_stack: DemoStack, tmp_path: Path
) -> None:
    token = demo_token(demo_stack)
    result = run_app(
        "--gateway",
        demo_stack.gateway_url,
        "--script",
        "idling",
        "--args",
        json.dumps({**PERIOD, "vehicles": first_vehicle(demo_stack)}),
        "--out",
        str(tmp_path),
        env={"PEGASUS_TOKEN": token},
    )

    assert result.returncode == 0, result.stderr
    assert token not in result.stderr + result.stdout


def first_vehicle(stack: DemoStack) -> list[int]:
    """The id of the demo fleet's first vehicle, as a vehicles parameter."""
    answer = httpx.get(
        stack.gateway_url + "/api/vehicles",
        headers={"Authenticate": demo_token(stack)},
        trust_env=False,
    )
    return [answer.json()["data"][0]["id"]]


def demo_token(stack: DemoStack) -> str:
    answer = httpx.post(
        stack.gateway_url + "/api/login",
        json={"username": stack.username, "password": stack.password},
        trust_env=False,
    )
    token: str = answer.json()["auth"]
    return token


def test_a_job_that_ends_in_error_exits_1_with_its_message(
    demo_stack: DemoStack, tmp_path: Path
) -> None:
    values = {**PERIOD, "vehicles": [999]}

    result = on_demo(
        demo_stack,
        "--script",
        "trips",
        "--args",
        json.dumps(values),
        "--out",
        str(tmp_path / "out"),
    )

    stderr = assert_clean_failure(result, 1)
    last = stderr.splitlines()[-1]
    assert last.startswith("error: job ")
    assert "(trips) ended in error" in last
    assert "999" in last
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args_text", "expected"),
    [
        ('{"from": ', "--args is not valid JSON: Expecting value at line 1"),
        ("[1, 2]", "--args must be a JSON object"),
        ("@/no/such/args.json", "cannot read the args file /no/such/args.json"),
    ],
)
def test_bad_args_json_exits_2_before_any_network_call(
    args_text: str, expected: str
) -> None:
    result = run_app(
        "--gateway",
        f"http://127.0.0.1:{closed_port()}",
        "--token",
        "x",
        "--script",
        "trips",
        "--args",
        args_text,
    )

    stderr = assert_clean_failure(result, 2)
    assert stderr.startswith("error: " + expected)


def test_bad_parameters_exit_2_naming_the_field(demo_stack: DemoStack) -> None:
    values = {"from": "yesterday", "to": PERIOD["to"], "vehicles": [1]}

    result = on_demo(demo_stack, "--script", "trips", "--args", json.dumps(values))

    stderr = assert_clean_failure(result, 2)
    assert "parameter 'from' must be a date and time" in stderr


def test_an_unknown_script_exits_2_listing_the_known_ones(
    demo_stack: DemoStack,
) -> None:
    result = on_demo(demo_stack, "--script", "tripz", "--args", json.dumps(PERIOD))

    stderr = assert_clean_failure(result, 2)
    assert "no engine of this gateway has a script named 'tripz'" in stderr
    assert "trips" in stderr.split("the scripts are:")[1]


def test_an_unknown_engine_exits_2_listing_the_gateways_engines(
    demo_stack: DemoStack,
) -> None:
    result = on_demo(
        demo_stack, "--script", "trips", "--engine", "http://127.0.0.1:1/engine"
    )

    stderr = assert_clean_failure(result, 2)
    assert "does not list the engine http://127.0.0.1:1/engine" in stderr
    assert demo_stack.engine_url in stderr


def test_an_unreachable_gateway_exits_2_saying_so() -> None:
    url = f"http://127.0.0.1:{closed_port()}"

    result = run_app("--gateway", url, "--user", "demo", "--script", "trips",
                     env={"PEGASUS_PASSWORD": "demo"})  # fmt: skip

    stderr = assert_clean_failure(result, 2)
    assert stderr == f"error: could not reach the gateway at {url}: " + (
        "connection refused (is the server running on that port?)\n"
    )


def test_a_wrong_password_exits_2(demo_stack: DemoStack) -> None:
    result = run_app(
        "--gateway",
        demo_stack.gateway_url,
        "--user",
        demo_stack.username,
        "--script",
        "trips",
        env={"PEGASUS_PASSWORD": "not the password"},
    )

    stderr = assert_clean_failure(result, 2)
    assert "refused the user name or password" in stderr
    assert "not the password" not in stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--script", "trips"], "say which gateway to use with --gateway URL"),
        (["--gateway", "127.0.0.1:9", "--token", "t", "--script", "trips"],
         "must be a full URL starting with https://"),
        (["--gateway", "http://127.0.0.1:9", "--script", "trips"],
         "sign in with --user"),
        (["--demo", "--gateway", "http://127.0.0.1:9", "--script", "trips"],
         "--demo starts its own gateway and engine; leave out --gateway"),
        (["--demo", "--script", "trips", "--tz", "Mars/Olympus_Mons"],
         "--tz 'Mars/Olympus_Mons' is not a known time zone"),
    ],
)  # fmt: skip
def test_missing_or_conflicting_options_exit_2(args: list[str], expected: str) -> None:
    result = run_app(*args)

    stderr = assert_clean_failure(result, 2)
    assert expected in stderr


def test_help_says_where_secrets_may_come_from() -> None:
    result = run_app("--help")

    assert result.returncode == 0
    assert "PEGASUS_TOKEN" in result.stdout
    assert "PEGASUS_PASSWORD" in result.stdout
    assert "@file.json" in result.stdout


@pytest.mark.slow
def test_ctrl_c_during_a_demo_run_stops_the_servers(tmp_path: Path) -> None:
    month = {"from": "2026-10-01T00:00:00", "to": "2026-11-01T00:00:00"}
    command = ["--demo", "--script", "idling", "--args", json.dumps(month)]
    app = subprocess.Popen(
        app_command("run", *command, "--out", str(tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert app.stderr is not None
        seen = [app.stderr.readline()]
        while "running" not in seen[-1] and seen[-1]:
            seen.append(app.stderr.readline())
        servers = psutil.Process(app.pid).children()
        assert len(servers) == 2, seen

        app.send_signal(signal.SIGINT)
        _, rest = app.communicate(timeout=60)
    finally:
        app.kill()
        app.wait(10)

    assert app.returncode == 130
    assert "Traceback" not in rest
    assert rest.splitlines()[-1] == "interrupted"
    _, alive = psutil.wait_procs(servers, timeout=10)
    assert alive == []
