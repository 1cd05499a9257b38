"""Fixtures shared by the whole suite.

Every test gets its own data folder, so nothing touches the user's files.
`demo_stack` starts the real sandbox gateway and embedded engine as child
processes on loopback, once per session, through the same code the app uses.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.local_stack import DemoStack
from app.paths import DATA_DIR_ENV


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data folder for each test."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv(DATA_DIR_ENV, str(folder))
    return folder


@pytest.fixture(scope="session")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    """The sandbox gateway and the embedded engine, running for the session."""
    stack = DemoStack(folder=tmp_path_factory.mktemp("demo"))
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
