"""Qt's own messages in the benchmarks' process, less the offscreen noise.

The benchmarks draw windows with the offscreen platform plugin, which
warns "This plugin does not support propagateSizeHints()" each time a
window's size hints change: dozens of lines that hide the figures. Those
are dropped; every other message of Qt is written to stderr as before.
Only the benchmarks install this: the app keeps Qt's messages whole.
"""

import sys

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

# What the offscreen plugin says of features it lacks; nothing to act on.
PLATFORM_NOISE = ("This plugin does not support",)


def _on_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if message.startswith(PLATFORM_NOISE):
        return
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def quiet_platform_warnings() -> None:
    """Drop the platform plugin's notes of what it does not support."""
    qInstallMessageHandler(_on_message)
