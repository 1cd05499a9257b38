"""The command line: `python -m app [options] [subcommand ...]`.

With no subcommand the window opens. Each subcommand lives in its own
module, imported only when used, so the servers never load Qt. A module
gives `configure(parser)` to add its arguments and `main(args) -> int`.
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
}
GUI_MODULE = "app.gui"


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pegasus-reports",
        description=f"{APP_NAME}: run, schedule and author Pegasus Gateway reports.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    parser.add_argument(
        "--debug", action="store_true", help="log requests and timings to stderr"
    )

    wanted = next((a for a in argv if a in SUBCOMMANDS), None)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        # Only the chosen subcommand's module is imported, to keep start-up light.
        if name == wanted:
            importlib.import_module(module_name).configure(sub)

    if wanted is None:
        _configure_window(parser)
    return parser


def _configure_window(parser: argparse.ArgumentParser) -> None:
    """Options of the window itself (no subcommand)."""
    group = parser.add_argument_group("window")
    group.add_argument(
        "--demo",
        action="store_true",
        help="start the local sandbox gateway and embedded engine and sign in",
    )
    group.add_argument("--gateway", metavar="URL", help="the gateway to sign in to")
    group.add_argument("--user", metavar="NAME", help="the user name to sign in with")
    group.add_argument(
        "--download-dir", metavar="DIR", help="where report files are saved"
    )
    # For the start-up benchmark (bench/bench_startup.py), not for people.
    group.add_argument("--quit-when-ready", action="store_true", help=argparse.SUPPRESS)
    group.add_argument(
        "--screenshot",
        metavar="PNG",
        help="save a picture of the window once the catalog is loaded, then quit",
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    setup_logging(logging.DEBUG if args.debug else logging.INFO)

    module_name = SUBCOMMANDS[args.command][0] if args.command else GUI_MODULE
    try:
        return int(importlib.import_module(module_name).main(args))
    except PegasusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
