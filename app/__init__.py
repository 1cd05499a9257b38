"""Pegasus Reports: run, schedule and author reports on Pegasus Gateways."""

from importlib.metadata import PackageNotFoundError, version

APP_NAME = "Pegasus Reports"
APP_ID = "PegasusReports"

try:
    __version__ = version("pegasus-reports")
except PackageNotFoundError:  # a frozen build or a bare source tree
    __version__ = "0.1.0"
