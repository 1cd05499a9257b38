"""The command line: `python -m app [options] [subcommand ...]`.

With no subcommand the window opens. Each subcommand lives in its own
module, imported only when used, so the servers never load Qt. A module
gives `configure(parser)` to add its arguments and `main(args) -> int`.
`--self-test` runs app.self_test instead of the window.

A few hidden subcommands are not for people but for the app itself: a
frozen build has no Python to run `-m module` with, so it runs itself with
the subcommand (see app.children.app_command). Their arguments are passed on
untouched, without argparse.
"""

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from app import APP_NAME, __version__
from app.errors import PegasusError
from app.logs import setup_logging

log = logging.getLogger(__name__)

SUBCOMMANDS = {
    "run": ("app.headless", "run one report without a window and download its files"),
    "engine": ("app.engine.cli", "serve the embedded job-engine on loopback"),
    "sandbox": ("app.sandbox.cli", "serve the local sandbox gateway on loopback"),
    "preview": ("app.preview", "draw a script's form from a manifest file as a PNG"),
    "cron": ("app.schedule.cli", "check a cron expression and list its next runs"),
    "lint": ("app.lint_cli", "check a manifest file or URL, one problem a line"),
    "check-engine": (
        "app.conformance",
        "check that a job-engine follows the protocol, through a private sandbox",
    ),
}
# name: (module, its main takes the words after the name).
HIDDEN_SUBCOMMANDS = {"engine-keeper": "app.engine_keeper"}
GUI_MODULE = "app.gui"
SELF_TEST_MODULE = "app.self_test"
DEFAULT_TIME_LIMIT = 120.0  # seconds for the whole --self-test
DEBUG_HELP = "log requests and timings to stderr"


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pegasus-reports",
        description=f"{APP_NAME}: run, schedule and author Pegasus Gateway reports.",
    )
    parser.add_argument(
        "--version", action="version", version=f"{APP_NAME} {__version__}"
    )
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    _configure_self_test(parser)

    wanted = subcommand_of(argv)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        # Also after the subcommand, where people put it. SUPPRESS: left
        # out there, it must not undo a --debug given before the subcommand.
        sub.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP
        )
        # Only the chosen subcommand's module is imported, to keep start-up light.
        if name == wanted:
            importlib.import_module(module_name).configure(sub)

    if wanted is None:
        _configure_window(parser)
    return parser


# The window's options: name, the metavar of its value (None for a flag),
# and help. subcommand_of must know which options take a value.
TOP_FLAGS = ("--version", "--debug", "--help", "-h", "--self-test")
TOP_OPTIONS = {"--time-limit": "SECONDS"}
WINDOW_OPTIONS: list[tuple[str, str | None, str]] = [
    (
        "--demo",
        None,
        "start the local sandbox gateway and embedded engine and sign in",
    ),
    ("--gateway", "URL", "the gateway to sign in to"),
    ("--user", "NAME", "the user name to sign in with"),
    ("--download-dir", "DIR", "where report files are saved"),
    (
        "--manifest",
        "PATH_OR_URL",
        "show the reports of a manifest file (reloaded as it is edited) "
        "or http(s) address, without a gateway",
    ),
    # For the start-up benchmark (bench/bench_startup.py), not for people.
    ("--quit-when-ready", None, argparse.SUPPRESS),
    (
        "--screenshot",
        "PNG",
        "save a picture of the window once the catalog is loaded, then quit",
    ),
]


def subcommand_of(argv: Sequence[str]) -> str | None:
    """The subcommand asked for, if any.

    It is the first word that is neither an option nor an option's value:
    in `--user engine`, "engine" is a user name, not the engine subcommand.
    """
    options = {name: metavar for name, metavar, _ in WINDOW_OPTIONS}
    options.update(dict.fromkeys(TOP_FLAGS))
    options.update(TOP_OPTIONS)
    takes_value = False
    for word in argv:
        if takes_value:
            takes_value = False
            continue
        if word == "--":
            return None
        if word.startswith("-"):
            name, has_value, _ = word.partition("=")
            # argparse also takes a unique prefix of an option (--gate URL).
            matches = [o for o in options if o == name] or [
                o for o in options if o.startswith(name)
            ]
            takes_value = (
                not has_value and len(matches) == 1 and options[matches[0]] is not None
            )
            continue
        return word if word in SUBCOMMANDS else None
    return None


def _configure_self_test(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("self-test")
    group.add_argument(
        "--self-test",
        action="store_true",
        help="start the embedded demo in a temporary folder, run one report, "
        "check its files, print one line per step and exit 0 (passed) or 1; "
        "needs no display",
    )
    group.add_argument(
        "--time-limit",
        metavar="SECONDS",
        type=_seconds,
        help=f"with --self-test: the most it may take (default "
        f"{DEFAULT_TIME_LIMIT:.0f})",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    return value


def _configure_window(parser: argparse.ArgumentParser) -> None:
    """Options of the window itself (no subcommand)."""
    group = parser.add_argument_group("window")
    for name, metavar, help_text in WINDOW_OPTIONS:
        if metavar is None:
            group.add_argument(name, action="store_true", help=help_text)
        else:
            group.add_argument(name, metavar=metavar, help=help_text)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in HIDDEN_SUBCOMMANDS:
        hidden = importlib.import_module(HIDDEN_SUBCOMMANDS[argv[0]])
        return int(hidden.main(argv[1:]))

    parser = build_parser(argv)
    args = parser.parse_args(argv)
    _check_self_test_options(parser, args)
    setup_logging(logging.DEBUG if args.debug else logging.INFO)

    module_name = _module_for(args)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if args.debug:
            raise
        # A build that left a module out; the user can only reinstall.
        print(f"error: this installation is incomplete: {exc}", file=sys.stderr)
        return 2
    try:
        return int(module.main(args))
    except PegasusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _module_for(args: argparse.Namespace) -> str:
    if args.self_test:
        return SELF_TEST_MODULE
    return SUBCOMMANDS[args.command][0] if args.command else GUI_MODULE


def _check_self_test_options(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> None:
    """--self-test goes alone (but --debug), and --time-limit only with it."""
    if not args.self_test:
        if args.time_limit is not None:
            parser.error("--time-limit goes with --self-test")
        return

    others = [
        name
        for name, _, _ in WINDOW_OPTIONS
        if getattr(args, name.lstrip("-").replace("-", "_"), None)
    ]
    if args.command or others:
        parser.error(f"--self-test runs alone; leave out {args.command or others[0]}")
    if args.time_limit is None:
        args.time_limit = DEFAULT_TIME_LIMIT
