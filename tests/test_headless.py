"""`python -m app run`, as a user runs it: a process, its output, its status."""

import asyncio
import csv
import datetime as dt
import json
import os
import signal
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psutil
import pytest
from support.servers import closed_port, recording
from support.small_gateway import small_gateway
from support.trips import assert_plausible_trips

from app.children import app_command
from app.cli import build_parser
from app.local_stack import DemoStack, demo_folder

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


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_demo_run_sends_nothing_through_the_environments_proxy(
    tmp_path: Path,
) -> None:
    # The engine calls the sandbox with each job's token, and the app the
    # sandbox with the user's: on this computer, never through a proxy.
    async with recording() as (proxy, received):
        env = {
            name: value
            for name, value in os.environ.items()
            if name.upper() not in PROXY_VARIABLES and name not in SECRET_ENV
        }
        for name in PROXY_VARIABLES[:3]:
            env[name] = env[name.lower()] = proxy
        values = {**PERIOD, "vehicles": [1]}
        command = app_command(
            "run", "--demo", "--script", "idling", "--args", json.dumps(values),
            "--out", str(tmp_path),
        )  # fmt: skip
        result = await asyncio.to_thread(
            subprocess.run,
            command,
            capture_output=True,
            text=True,
            env=env,
            timeout=150,
            check=False,
        )

    assert result.returncode == 0, result.stderr
    assert "done 100%" in result.stderr
    assert received == []


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


def test_a_job_that_ends_in_error_exits_1_with_its_message(tmp_path: Path) -> None:
    # A failure only the engine can find, once the job runs: the parameters
    # themselves pass every check made before the job is created.
    manifest = {"scripts": [{"script": "s", "title": "S", "schedule": False}]}
    reason = "rawdata request failed: 503 the gateway is busy"

    with small_gateway(manifest, job_id=7, error=reason) as (url, gateway_log):
        result = run_app(
            "--gateway", url, "--token", "t", "--script", "s",
            "--out", str(tmp_path / "out"),
        )  # fmt: skip

    stderr = assert_clean_failure(result, 1)
    assert stderr.splitlines()[-1] == f"error: job 7 (s) ended in error: {reason}"
    assert len(gateway_log.job_args) == 1
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


def deep_args_file(tmp_path: Path) -> str:
    path = tmp_path / "deep.json"
    path.write_text('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    return f"@{path}"


@pytest.mark.parametrize(
    ("args_text", "expected"),
    [
        (
            "deep",
            "cannot be used: it nests objects and lists more than 64 levels deep",
        ),
        (
            '{"n": ' + "7" * 5000 + "}",
            "--args cannot be used: it has a whole number of 5000 digits; at most "
            "100 are accepted",
        ),
        ('{"n": NaN}', "--args cannot be used: NaN is not a number JSON allows"),
        ('{"n": -Infinity}', "--args cannot be used: -Infinity is not a number"),
        ('{"n": 1e999}', "--args cannot be used: the number 1e999 is too large"),
        (
            '{"vehicles": [1], "name": "Van \\ud800"}',
            "--args cannot be used: name: the text holds a lone surrogate",
        ),
        (
            '{"\\udfff": 1}',
            "--args cannot be used: \\udfff: the text holds a lone surrogate",
        ),
        pytest.param(
            "@/dev/zero",
            "cannot read the args file /dev/zero: it is not a regular file",
            marks=pytest.mark.skipif(
                not Path("/dev/zero").exists(), reason="no /dev/zero here"
            ),
        ),
    ],
)
def test_hostile_args_exit_2_with_a_plain_message(
    args_text: str, expected: str, tmp_path: Path
) -> None:
    if args_text == "deep":
        args_text = deep_args_file(tmp_path)

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
    assert stderr.startswith("error: ")
    assert expected in stderr


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("http://127.0.0.1:abc", "the port must be a number from 1 to 65535"),
        ("http://127.0.0.1:99999", "the port must be a number from 1 to 65535"),
        ("http://[::1", "an IPv6 address must be written whole"),
        ("http://127.0.0.1:34777 extra", "it contains a space"),
    ],
)
def test_a_malformed_gateway_address_exits_2_saying_what_is_wrong(
    address: str, problem: str
) -> None:
    result = run_app(
        "--gateway", address, "--user", "demo", "--script", "trips",
        env={"PEGASUS_PASSWORD": "demo"},
    )  # fmt: skip

    stderr = assert_clean_failure(result, 2)
    assert stderr.startswith(f"error: the gateway address {address!r} is not valid: ")
    assert problem in stderr


@pytest.mark.parametrize(
    "address",
    [
        "http://alice:S3cret@127.0.0.1:9",
        "alice:S3cret@127.0.0.1:9",  # no scheme at all
        "https:/alice:S3cret@127.0.0.1:9",  # one slash
        "http://alice:S3cret@[::1",  # and malformed besides
    ],
)
def test_a_password_in_the_gateway_address_exits_2_without_showing_it(
    address: str,
) -> None:
    result = run_app("--gateway", address, "--script", "trips", "--token", "t")

    stderr = assert_clean_failure(result, 2)
    assert "S3cret" not in stderr
    assert "alice" not in stderr
    assert "put the user name and password in their own fields" in stderr


def test_the_help_example_can_be_pasted_into_a_shell() -> None:
    help_text = run_app("--help").stdout
    example = help_text.split("\nexample", 1)[1].split(":\n", 1)[1].strip()
    assert example.startswith("python -m app run ")

    # The shell reads the example as a person's shell would; printf shows
    # the words it made, one per NUL-terminated record.
    shell = subprocess.run(
        ["bash", "-c", example.replace("python -m app", "printf '%s\\0'", 1)],
        capture_output=True,
        text=True,
        check=True,
    )
    argv = shell.stdout.split("\0")[:-1]
    assert argv[0] == "run"

    parsed = build_parser(argv).parse_args(argv)
    assert parsed.demo
    assert parsed.script == "trips"
    assert json.loads(parsed.args) == {**PERIOD, "vehicles": [1, 2]}


def wait_until_running(app: subprocess.Popen[str]) -> list[str]:
    """Read the run's progress until its job is running; the lines read."""
    assert app.stderr is not None
    seen = [app.stderr.readline()]
    while "running" not in seen[-1] and seen[-1]:
        seen.append(app.stderr.readline())
    return seen


# A month of idling for the whole fleet: several seconds of work.
MONTH = {"from": "2026-10-01T00:00:00", "to": "2026-11-01T00:00:00"}


def test_ctrl_c_stops_a_run_started_with_sigint_ignored(
    demo_stack: DemoStack, tmp_path: Path
) -> None:
    # A shell starts background commands with SIGINT ignored (trap '' INT
    # does the same); `kill -INT` must stop the run all the same.
    command = app_command(
        "run", "--gateway", demo_stack.gateway_url, "--user", demo_stack.username,
        "--script", "idling", "--args", json.dumps(MONTH), "--out", str(tmp_path),
    )  # fmt: skip
    base = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
    app = subprocess.Popen(
        ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**base, "PEGASUS_PASSWORD": demo_stack.password},
    )
    try:
        seen = wait_until_running(app)
        app.send_signal(signal.SIGINT)
        out, rest = app.communicate(timeout=60)
    finally:
        app.kill()
        app.wait(10)

    assert app.returncode == 130, seen + [rest]
    assert "Traceback" not in rest
    job_id = seen[0].split()[1]
    assert rest.splitlines()[-2:] == [
        f"job {job_id} goes on running on the gateway: it was not stopped",
        "interrupted",
    ]
    assert out == ""


@pytest.mark.slow
def test_ctrl_c_to_the_whole_group_stops_a_demo_run_at_once(tmp_path: Path) -> None:
    # Ctrl+C in a terminal reaches every process of the group: the demo
    # servers stop too, and the run must say "interrupted", not that the
    # gateway went away.
    command = app_command(
        "run", "--demo", "--script", "idling", "--args", json.dumps(MONTH),
        "--out", str(tmp_path),
    )  # fmt: skip
    app = subprocess.Popen(
        ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        seen = wait_until_running(app)
        servers = psutil.Process(app.pid).children()
        assert len(servers) == 2, seen
        os.killpg(app.pid, signal.SIGINT)
        _, rest = app.communicate(timeout=60)
    finally:
        app.kill()
        app.wait(10)

    assert app.returncode == 130, seen + [rest]
    assert "Traceback" not in rest
    assert rest.splitlines()[-1] == "interrupted"
    assert "error" not in rest
    _, alive = psutil.wait_procs(servers, timeout=10)
    assert alive == []


# ---- a demo of its own, checks before signing in, plain words --------------


@pytest.mark.slow
def test_demo_runs_meet_neither_the_windows_demo_nor_each_other(
    tmp_path: Path,
) -> None:
    # The window's demo is up, on its own folder, as while the window is open.
    window_demo = DemoStack(folder=demo_folder()).start()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    values = json.dumps({**PERIOD, "vehicles": [1]})
    base = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
    try:
        runs = [
            subprocess.Popen(
                app_command("run", "--demo", "--script", "idling", "--args", values,
                            "--out", str(tmp_path / f"out{n}")),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**base, "TMPDIR": str(scratch)},
            )
            for n in (1, 2)
        ]  # fmt: skip
        try:
            ended = [run.communicate(timeout=150) for run in runs]
        finally:
            for run in runs:
                run.kill()
                run.wait(10)
        still_up = window_demo.sandbox is not None and (
            window_demo.sandbox.returncode is None
        )
    finally:
        window_demo.stop()

    for run, (_, stderr) in zip(runs, ended, strict=True):
        assert run.returncode == 0, stderr
    assert sorted(p.name for p in (tmp_path / "out2").iterdir()) == [
        "idling.csv",
        "idling.json",
    ]
    assert still_up
    assert list(scratch.iterdir()) == []  # each run's demo folder is removed


@pytest.mark.parametrize(
    ("out", "problem"),
    [
        ("/proc/nope", "the folder cannot be made there (No such file or directory)"),
        ("/etc/passwd", "it is a file, not a folder"),
        ("{tmp}/a-file/reports", "the folder cannot be made there (Not a directory)"),
    ],
)
def test_an_out_folder_that_cannot_be_written_exits_2_before_signing_in(
    demo_stack: DemoStack, tmp_path: Path, out: str, problem: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    out = out.format(tmp=tmp_path)
    values = {**PERIOD, "vehicles": [1]}

    result = on_demo(
        demo_stack, "--script", "idling", "--args", json.dumps(values), "--out", out
    )

    stderr = assert_clean_failure(result, 2)
    assert stderr == f"error: --out {out} cannot be used: {problem}\n"


def test_a_misspelled_parameter_exits_2_listing_the_reports_own(
    demo_stack: DemoStack, tmp_path: Path
) -> None:
    values = {"frm": PERIOD["from"], "to": PERIOD["to"], "vehicles": [1]}

    result = on_demo(
        demo_stack, "--script", "trips", "--args", json.dumps(values),
        "--out", str(tmp_path),
    )  # fmt: skip

    stderr = assert_clean_failure(result, 2)
    assert stderr == (
        "error: unknown parameter 'frm'; this report takes: from, to, vehicles, "
        "groups, min_distance, tz, prefs, formats\n"
    )


def test_a_period_that_has_not_begun_exits_2_before_the_job_is_made(
    demo_stack: DemoStack, tmp_path: Path
) -> None:
    # The demo user's zone, where "tomorrow" is meant.
    today = dt.datetime.now(ZoneInfo("America/New_York")).date()
    tomorrow = today + dt.timedelta(days=1)
    values = {"from": f"{tomorrow}T00:00:00", "to": f"{tomorrow}T23:59:59"}

    result = on_demo(
        demo_stack, "--script", "idling", "--args", json.dumps(values),
        "--out", str(tmp_path / "out"),
    )  # fmt: skip

    stderr = assert_clean_failure(result, 2)
    assert stderr == (
        f"error: parameter 'from' is {values['from']}, after now: this report "
        "takes only a period that has begun\n"
    )
    assert not (tmp_path / "out").exists()


def test_debug_after_the_subcommand_shows_the_log() -> None:
    url = f"http://127.0.0.1:{closed_port()}"

    result = run_app("--debug", "--gateway", url, "--token", "x", "--script", "trips")

    stderr = assert_clean_failure(result, 2)
    assert f"WARNING app.gateway: could not reach the gateway at {url}" in stderr


def test_a_token_the_gateway_refuses_at_once_is_named_as_the_token(
    demo_stack: DemoStack,
) -> None:
    result = run_app(
        "--gateway", demo_stack.gateway_url, "--script", "trips",
        env={"PEGASUS_TOKEN": "made-up-token"},
    )  # fmt: skip

    stderr = assert_clean_failure(result, 2)
    assert stderr == (
        "error: the gateway did not accept this token (GET /api/user); check the "
        "token, or sign in with a user name and password\n"
    )
