"""Keeps a local server process from outliving the app that started it.

The app starts the engine and the sandbox with a pipe on their standard
input and never writes to it. When the app exits in any way, SIGKILL and
crashes included, the operating system closes that pipe, the child reads
end-of-file and ends itself. This works on every OS; on Linux the parent
also asks the kernel for a SIGTERM on its death (see children.py).
"""

import argparse
import logging
import os
import sys
import threading

log = logging.getLogger(__name__)


def add_watch_argument(parser: argparse.ArgumentParser) -> None:
    """The --watch-stdin option of the servers the app starts."""
    parser.add_argument(
        "--watch-stdin",
        action="store_true",
        help="exit when standard input closes (the app that started us is gone)",
    )


def exit_when_parent_dies() -> None:
    """Watch standard input in a daemon thread; exit the process at its EOF."""
    thread = threading.Thread(target=_watch_stdin, name="lifeline", daemon=True)
    thread.start()


def _watch_stdin() -> None:
    # os.read on the descriptor, not sys.stdin.buffer: a daemon thread blocked
    # in a buffered read holds the buffer's lock, and an interpreter shutting
    # down while it does aborts with "Fatal Python error: _enter_buffered_busy".
    try:
        descriptor = sys.stdin.fileno()
        while os.read(descriptor, 4096):
            pass
    except (OSError, ValueError, AttributeError):
        pass

    log.info("the parent process is gone; exiting")
    # os._exit: the server's own shutdown could wait on open connections.
    os._exit(0)
