"""A keyring backend of the tests' own, in memory, chosen with keyring's API.

The app reaches it exactly as it reaches the system's keyring: through
keyring.get_keyring(), after keyring.set_keyring() picked it. It ranks as a
recommended backend (priority 1), as the desktop keyrings do.
"""

import contextlib
from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Secrets in a dict of (service, key) -> secret."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError(f"nothing kept for {username}")


@contextlib.contextmanager
def use_keyring(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    """Make backend keyring's choice for the test, then put back the last."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[KeyringBackend]:
    """A MemoryKeyring as the system's keyring, for one test."""
    with use_keyring(MemoryKeyring()) as backend:
        yield backend


@pytest.fixture
def no_keyring() -> Iterator[KeyringBackend]:
    """keyring's backend of a machine without any: every call fails."""
    from keyring.backends import fail

    with use_keyring(fail.Keyring()) as backend:
        yield backend
