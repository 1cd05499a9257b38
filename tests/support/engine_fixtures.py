"""Fixtures of the engine tests: a recording gateway and a real engine.

Registered for the whole suite in tests/conftest.py; a test module that
means something else by `gateway` or `engine` defines its own, which wins.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.children import LocalServer, app_command
from support.engine_gateway import RecordingGateway


@pytest.fixture(scope="module")
def gateway() -> Iterator[RecordingGateway]:
    """A gateway of our own that records what the engine asks and PUTs."""
    fake = RecordingGateway()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def engine_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-files")


@pytest.fixture(scope="module")
def engine(engine_files: Path) -> Iterator[str]:
    """The embedded engine as a process; its URL."""
    server = LocalServer(
        "engine", app_command("engine", "--port", "0", "--files", str(engine_files))
    )
    url = server.start()
    try:
        yield url
    finally:
        server.stop()
