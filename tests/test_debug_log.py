"""`--debug` shows our own debug lines, not the libraries' step-by-step log.

qasync logged each callback it ran with its arguments, and a manifest is
one of them: lines of many thousand characters. Chatty libraries now show
their warnings only, and any message is cut at a readable length.
"""

import io
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.children import app_command
from app.logs import CHATTY_LOGGERS, MAX_MESSAGE, setup_logging

# The longest line a message of MAX_MESSAGE characters makes, with the time,
# level, logger name and the note of what was cut.
LONGEST_LINE = MAX_MESSAGE + 200


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    setup_logging(logging.DEBUG, stream)
    try:
        yield stream
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)


def test_the_window_in_debug_mode_logs_no_line_of_a_whole_manifest(
    tmp_path: Path,
) -> None:
    picture = tmp_path / "window.png"
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    result = subprocess.run(
        app_command("--debug", "--demo", "--screenshot", str(picture)),
        capture_output=True, text=True, env=environ, timeout=300, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    assert any(" DEBUG app.gateway: " in line for line in lines)
    assert not [line for line in lines if " DEBUG qasync" in line]
    assert max(len(line) for line in lines) < LONGEST_LINE


def test_a_long_message_is_cut_saying_how_much_is_left_out(
    log_text: io.StringIO,
) -> None:
    logging.getLogger("app.test").debug("manifest: %s", "x" * 5000)

    line = log_text.getvalue().rstrip("\n")
    assert line.endswith("... [4,010 more characters]")
    assert len(line) < LONGEST_LINE


def fail_at_length(length: int) -> None:
    raise ValueError("y" * length)


def test_a_traceback_is_kept_whole(log_text: io.StringIO) -> None:
    try:
        fail_at_length(3000)
    except ValueError:
        logging.getLogger("app.test").exception("it failed")

    assert "y" * 3000 in log_text.getvalue()


def test_a_secret_at_the_cut_is_masked_before_it(log_text: io.StringIO) -> None:
    token = "ab12" * 14
    message = "x" * (MAX_MESSAGE - 20) + f" token={token} and more"

    logging.getLogger("app.test").info(message)

    assert token[:10] not in log_text.getvalue()


def test_qasync_debug_lines_are_left_out_in_debug_mode(log_text: io.StringIO) -> None:
    logging.getLogger("qasync._QThreadWorker").debug("got callback %s", "{...}")
    logging.getLogger("app.catalog").debug("catalog loaded")

    assert log_text.getvalue().count("\n") == 1
    assert "app.catalog: catalog loaded" in log_text.getvalue()
