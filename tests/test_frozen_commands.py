"""How the app starts its own processes, from source and in a frozen build.

A frozen build has no Python to run `-m module` with: it runs its own
executable with a subcommand, the engine keeper's hidden one included. The
keeper then runs a user's engine command with the environment it would
have had without the app's folder on its library paths.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.children import app_command
from app.controllers.engines import EngineProcess
from app.engine_keeper import outside_environment

PRINT_ENV = (
    "import json, os; print(json.dumps({k: os.environ.get(k) for k in "
    "('LD_LIBRARY_PATH', 'LD_LIBRARY_PATH_ORIG', 'QT_PLUGIN_PATH', 'KEPT')}))"
)


def test_a_frozen_app_runs_itself_with_each_subcommand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    engine = EngineProcess("mine", ["my-engine", "--port", "8123"])

    assert app_command("engine", "--port", "0") == [
        sys.executable,
        "engine",
        "--port",
        "0",
    ]
    assert engine.launched_command() == [
        sys.executable,
        "engine-keeper",
        "--",
        "my-engine",
        "--port",
        "8123",
    ]


def test_from_source_the_keeper_is_the_same_subcommand_of_python_m_app() -> None:
    engine = EngineProcess("mine", ["my-engine"])

    assert engine.launched_command() == [
        sys.executable,
        "-m",
        "app",
        "engine-keeper",
        "--",
        "my-engine",
    ]


def test_the_keeper_subcommand_passes_output_and_exit_status_through() -> None:
    command = [sys.executable, "-c", "print('engine says hi'); raise SystemExit(3)"]

    status, output = run_kept(app_command("engine-keeper", "--", *command))

    assert status == 3
    assert output == "engine says hi\n"


def test_the_keeper_subcommand_without_a_command_says_how_to_use_it() -> None:
    done = subprocess.run(
        app_command("engine-keeper"), capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 2
    assert done.stderr.startswith("usage: ")
    assert "Traceback" not in done.stderr


def test_a_frozen_keeper_gives_the_command_the_library_path_from_before_the_app(
    tmp_path: Path,
) -> None:
    bundle = str(tmp_path / "app" / "_internal")
    # What the keeper sees when the frozen app started it: the app's loader
    # saved an already changed LD_LIBRARY_PATH, then changed it once more.
    env = {
        **os.environ,
        "LD_LIBRARY_PATH": f"{bundle}:{bundle}:/opt/vendor/lib",
        "LD_LIBRARY_PATH_ORIG": f"{bundle}:/opt/vendor/lib",
        "QT_PLUGIN_PATH": f"{bundle}/PySide6/Qt/plugins",
        "KEPT": f"{bundle}/not/a/search/path",
    }
    as_frozen = (
        "import sys; sys.frozen = True; sys._MEIPASS = sys.argv[1]; "
        "from app.cli import main; sys.exit(main(sys.argv[2:]))"
    )

    status, output = run_kept(
        [sys.executable, "-c", as_frozen, bundle, "engine-keeper", "--"]
        + [sys.executable, "-c", PRINT_ENV],
        env=env,
    )

    assert status == 0, output
    assert json.loads(output) == {
        "LD_LIBRARY_PATH": "/opt/vendor/lib",
        "LD_LIBRARY_PATH_ORIG": None,
        "QT_PLUGIN_PATH": None,
        "KEPT": f"{bundle}/not/a/search/path",
    }


def test_only_the_loaders_variables_and_paths_into_the_app_are_taken_out() -> None:
    env = {
        "PATH": "/app/_internal/bin:/usr/bin:/app/_internal2/bin",
        "SSL_CERT_FILE": "/app/_internal/certifi/cacert.pem",
        "LD_LIBRARY_PATH": "/app/_internal",
        "HOME": "/home/ann",
        "_PYI_PARENT_PROCESS_LEVEL": "1",
        "_PYI_ARCHIVE_FILE": "/app/pegasus-reports",
    }

    assert outside_environment(env, "/app/_internal") == {
        "PATH": "/usr/bin:/app/_internal2/bin",
        "HOME": "/home/ann",
    }


def run_kept(command: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a keeper as the app does: its standard input open until it ends.

    The keeper stops its command once that pipe closes, as when the app quits.
    """
    keeper = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert keeper.stdin is not None
    assert keeper.stdout is not None
    try:
        output = keeper.stdout.read()
        return keeper.wait(60), output
    finally:
        keeper.stdin.close()
        keeper.stdout.close()
        if keeper.poll() is None:
            keeper.kill()
            keeper.wait()
