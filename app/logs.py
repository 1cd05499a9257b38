"""Logging set-up shared by the window, the command line and the servers.

A filter on every handler masks secrets that might slip into a message:
`Authenticate` headers, `auth`/`token`/`password` values (quoted or not,
`key=value` or `--option value`), `Bearer` tokens, passwords in URLs and
the hex tokens gateways issue. Code must still never log a secret; this is the net
under that rule, not the rule.
"""

import logging
import re
import sys
from typing import TextIO

# A value: quoted (spaces and all), or a run of characters up to a separator.
_VALUE = r"(?:\"[^\"]*\"|'[^']*'|[^\s'\",}&]+)"
_SECRET_KEY = r"(?:api_token|auth|token|password|passwd)"
# Each pattern's first group is kept; the rest of the match is the secret.
_SECRET_PATTERNS = [
    re.compile(r"(?i)(authenticate['\"]?\s*[:=]\s*)" + _VALUE),
    # A key named for a secret: written bare, as a whole word (not the end
    # of a path like /etc/passwd), or in quotes of its own, "token": so a
    # quoted text that merely ends in such a word ('../etc/passwd': ...)
    # is not taken for a key, nor the word after it for its value.
    re.compile(
        r"(?i)((?:(?<![\w/.\\-])[\w-]*?"
        + _SECRET_KEY
        + r"|(['\"])[\w-]*?"
        + _SECRET_KEY
        + r"\2)\s*[:=]\s*)"
        + _VALUE
    ),
    # Command lines: --password VALUE, --token=VALUE.
    re.compile(r"(?i)(--(?:password|token|api[-_]token)(?:=|\s+))" + _VALUE),
    re.compile(r"(?i)(\bbearer\s+)[^\s'\",}]+"),
    # user:password@ in a URL: the user name stays, the password goes.
    re.compile(r"(//[^/\s:@]*:)[^/\s@]+(?=@)"),
    # Gateway tokens are 56 hex characters; other services use 40 to 64.
    re.compile(r"()\b[0-9a-fA-F]{40,64}\b"),
]
MASK = "***"
# A log line longer than this is cut: a manifest or a job repeated whole in
# a message would flood the terminal. Tracebacks are not cut.
MAX_MESSAGE = 1000
# Libraries that log every step at DEBUG (qasync each callback with its
# arguments, whole manifests included; httpx every request with its URL):
# in --debug only their warnings show, and our own debug lines.
CHATTY_LOGGERS = (
    "asyncio",
    "qasync",
    "httpx",
    "httpcore",
    "hpack",
    "multipart",
    "python_multipart",
    "uvicorn.access",
    "PIL",
    "keyring",
)


def redact(text: str) -> str:
    """The text with anything that looks like a token or password masked."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class ClippingFilter(logging.Filter):
    """Cuts a message longer than MAX_MESSAGE, saying how much is left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if len(message) > MAX_MESSAGE:
            left_out = len(message) - MAX_MESSAGE
            record.msg = f"{message[:MAX_MESSAGE]}... [{left_out:,} more characters]"
            record.args = None
        return True


class RedactingFilter(logging.Filter):
    """Masks secrets in the final text of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def setup_logging(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Send the app's log to a stream (stderr by default), secrets masked."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(RedactingFilter())
    # After masking: a secret cut in two would no longer look like one.
    handler.addFilter(ClippingFilter())

    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

    # httpx logs every request at INFO with its full URL; ours are at DEBUG.
    for noisy in CHATTY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
