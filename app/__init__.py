"""Pegasus Reports: run, schedule and author reports on Pegasus Gateways."""

import sys

APP_NAME = "Pegasus Reports"
APP_ID = "PegasusReports"

# The one place the version is written; pyproject.toml reads it from here.
__version__ = "0.1.0"

# WORKAROUND(httpx): importing httpx also imports its command-line tool,
# with click, rich and pygments when they are installed, a tenth of a second
# of start-up for something we never call. httpx treats a failed import of
# it as "no command line".
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
