"""The entry point's choice between the window and a subcommand."""

import pytest

from app.cli import build_parser


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
