"""`python -m app check-engine`: the embedded engine passes, faults are named.

Engines run as real processes on loopback: the embedded one, and the
small engine of tests/support/broken_engine.py with one fault at a time.
The check itself runs as the command a user types, with its own private
sandbox gateway.
"""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.servers import closed_port

from app.children import LocalServer, app_command

BROKEN_ENGINE = Path(__file__).parent / "support" / "broken_engine.py"
CHECKS = (
    "manifest",
    "POST /jobs",
    "PUTs",
    "files",
    "bad parameters",
    "outside files",
)
RUN_TIMEOUT = 300  # seconds: a hung check must not hang the suite


def check_engine(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        app_command("check-engine", url, *args),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def verdicts(output: str) -> dict[str, str]:
    """{check name: its whole line} from check-engine's report."""
    lines = {}
    for line in output.splitlines():
        verdict, _, rest = line.partition("  ")
        if verdict in ("passed", "FAILED"):
            lines[rest.partition(":")[0]] = line
    return lines


@pytest.fixture
def start_engine(tmp_path: Path) -> Iterator[object]:
    """Starts engine processes for a test and stops them after it."""
    started: list[LocalServer] = []

    def start(name: str, command: list[str]) -> str:
        server = LocalServer(name, command)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def broken_command(tmp_path: Path, *faults: str) -> list[str]:
    files = tmp_path / "broken-files"
    return [sys.executable, str(BROKEN_ENGINE), "--files", str(files), *faults]


def test_the_embedded_engine_passes_every_check(tmp_path: Path, start_engine) -> None:
    url = start_engine(
        "engine",
        app_command("engine", "--port", "0", "--files", str(tmp_path / "files")),
    )

    result = check_engine(url)

    lines = verdicts(result.stdout)
    assert sorted(lines) == sorted(CHECKS), result.stdout + result.stderr
    for name in CHECKS:
        assert lines[name].startswith("passed"), lines[name]
    assert "files: downloaded through the gateway: fleet_status" in result.stdout
    assert result.returncode == 0


def test_a_protocol_following_small_engine_passes(tmp_path: Path, start_engine) -> None:
    url = start_engine("broken engine", broken_command(tmp_path))

    result = check_engine(url)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 of 6 checks passed" in result.stdout


@pytest.mark.parametrize(
    ("fault", "check", "evidence"),
    [
        ("--bad-manifest", "manifest", "bad script id"),
        ("--no-put", "PUTs", "no PUT at all"),
        ("--foreign-put", "PUTs", "not to its own job with its token"),
        ("--traversal", "outside files", "served outside the job"),
        ("--accept-bad-params", "bad parameters", "not error"),
        ("--fail-bad-params", "bad parameters", "the engine failed with HTTP 500"),
        ("--slow-post", "POST /jobs", "more than 5 s"),
        ("--die-on-bad-params", "bad parameters", "the engine stopped answering"),
        ("--bad-state-put", "PUTs", "1 PUTs refused: a PUT of state -> HTTP 400"),
    ],
)
def test_each_fault_fails_the_check_that_names_it(
    tmp_path: Path, start_engine, fault: str, check: str, evidence: str
) -> None:
    url = start_engine("broken engine", broken_command(tmp_path, fault))

    # A short wait: the engine with no PUT would otherwise take a minute.
    result = check_engine(url, "--timeout", "5")

    lines = verdicts(result.stdout)
    assert lines[check].startswith(f"FAILED  {check}: "), result.stdout
    assert evidence in lines[check]
    assert result.returncode == 1


def test_the_traversal_fault_is_caught_by_each_escape(
    tmp_path: Path, start_engine
) -> None:
    url = start_engine("broken engine", broken_command(tmp_path, "--traversal"))

    line = verdicts(check_engine(url).stdout)["outside files"]

    for escape in ("`..%2F` into the job", "`%2E%2E%2F` into the job"):
        assert escape in line


def test_an_engine_that_cannot_be_reached_is_a_usage_error() -> None:
    result = check_engine(f"http://127.0.0.1:{closed_port()}")

    assert result.returncode == 2
    assert "cannot be reached" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--args", "[1, 2]"], "--args must be a JSON object"),
        (["--args", "{"], "--args is not JSON"),
        (["--timeout", "0"], "--timeout must be"),
    ],
)
def test_bad_arguments_are_usage_errors(args: list[str], message: str) -> None:
    result = check_engine("http://127.0.0.1:9", *args)

    assert result.returncode == 2
    assert message in result.stderr


def test_an_unknown_script_is_a_usage_error(tmp_path: Path, start_engine) -> None:
    url = start_engine("broken engine", broken_command(tmp_path))

    result = check_engine(url, "--script", "nowhere")

    assert result.returncode == 2
    assert "--script nowhere" in result.stderr
