"""The entry point's choice between the window and a subcommand."""

import subprocess
import sys

import pytest

from app import __version__
from app.cli import build_parser, main


@pytest.mark.parametrize(
    ("argv", "command", "user"),
    [
        (["--gateway", "http://127.0.0.1:9", "--user", "engine"], None, "engine"),
        (["--user=sandbox", "--demo"], None, "sandbox"),
        (["--us", "run"], None, "run"),
        (["--debug", "run", "--demo", "--script", "trips"], "run", None),
        (["engine", "--port", "0"], "engine", None),
        (["--demo"], None, None),
    ],
)
def test_a_word_after_an_option_that_takes_a_value_is_that_value(
    argv: list[str], command: str | None, user: str | None
) -> None:
    args = build_parser(argv).parse_args(argv)

    assert args.command == command
    assert getattr(args, "user", None) == user


@pytest.mark.parametrize(
    ("argv", "debug"),
    [
        (["run", "--debug", "--demo", "--script", "trips"], True),
        (["--debug", "run", "--demo", "--script", "trips"], True),
        (["run", "--demo", "--script", "trips"], False),
        (["sandbox", "--port", "0", "--debug"], True),
        (["--debug"], True),
    ],
)
def test_debug_may_come_before_or_after_the_subcommand(
    argv: list[str], debug: bool
) -> None:
    assert build_parser(argv).parse_args(argv).debug is debug


def test_version_prints_the_name_and_version_without_loading_qt() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "app", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # -X importtime writes "import time: self | cumulative | module" lines.
    loaded = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }

    assert done.returncode == 0
    assert done.stdout == f"Pegasus Reports {__version__}\n"
    assert [name for name in loaded if name.startswith("PySide6")] == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--time-limit", "5"], "--time-limit goes with --self-test"),
        (["--self-test", "--demo"], "--self-test runs alone; leave out --demo"),
        (["--self-test", "lint", "m.json"], "leave out lint"),
        (["--self-test", "--time-limit", "0"], "'0' is not a number of seconds"),
    ],
)
def test_self_test_options_that_do_not_fit_are_refused(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)

    assert exited.value.code == 2
    assert message in capsys.readouterr().err
