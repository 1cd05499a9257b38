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
# Each pattern's first group is kept; the rest of the match is the secret.
_SECRET_PATTERNS = [
    re.compile(r"(?i)(authenticate['\"]?\s*[:=]\s*)" + _VALUE),
    re.compile(
        r"(?i)((?:api_token|auth|token|password|passwd)['\"]?\s*[:=]\s*)" + _VALUE
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


def redact(text: str) -> str:
    """The text with anything that looks like a token or password masked."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


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

    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

    # httpx logs every request at INFO with its full URL; ours are at DEBUG.
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
