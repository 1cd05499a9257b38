"""Sign-in tokens in the keyring: kept, found, forgotten; or in memory only.

Through keyring's own API: a backend of the tests' own chosen with
keyring.set_keyring (tests/support/keyrings.py), and keyring's real backend
of a machine without a keyring, which fails every call.
"""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, null
from keyring.errors import KeyringLocked
from support.keyrings import MemoryKeyring, use_keyring

from app import APP_ID
from app.secrets import MEMORY_ONLY_NOTICE, TokenStore, account_key, unusable_reason

SITE = "https://gateway.test"
TOKEN = "0f" * 28


def test_a_token_is_kept_found_and_forgotten_through_the_keyring(
    memory_keyring: KeyringBackend,
) -> None:
    store = TokenStore()

    assert store.save(SITE, "ana", TOKEN) is True

    # Where another program using keyring would find it.
    assert keyring.get_password(APP_ID, account_key(SITE, "ana")) == TOKEN
    assert TokenStore().load(SITE, "ana") == TOKEN
    assert store.take_notice() is None

    store.remove(SITE, "ana")

    assert keyring.get_password(APP_ID, account_key(SITE, "ana")) is None
    assert TokenStore().load(SITE, "ana") is None


def test_each_account_has_its_own_token(memory_keyring: KeyringBackend) -> None:
    store = TokenStore()
    store.save(SITE, "ana", TOKEN)
    store.save(SITE, "bo", "b" * 56)
    store.save("https://other.test", "ana", "c" * 56)

    store.remove(SITE, "bo")

    assert store.load(SITE, "ana") == TOKEN
    assert store.load(SITE, "bo") is None
    assert store.load("https://other.test", "ana") == "c" * 56


def test_forgetting_a_token_never_kept_is_quiet(
    memory_keyring: KeyringBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="app.secrets")

    TokenStore().remove(SITE, "nobody")

    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_without_a_keyring_the_token_stays_in_memory_said_once(
    no_keyring: KeyringBackend,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    data_dir: Path,
) -> None:
    caplog.set_level(logging.DEBUG, logger="app.secrets")
    store = TokenStore()

    assert store.save(SITE, "ana", TOKEN) is False
    assert store.save(SITE, "bo", "b" * 56) is False

    assert store.memory_only
    assert store.load(SITE, "ana") == TOKEN
    assert store.take_notice() == MEMORY_ONLY_NOTICE
    assert store.take_notice() is None
    told = [r for r in caplog.records if "kept in memory only" in r.getMessage()]
    assert len(told) == 1
    assert told[0].levelno == logging.INFO
    assert TOKEN not in caplog.text
    # Another run of the app finds nothing: nothing was written anywhere.
    assert TokenStore().load(SITE, "ana") is None
    assert not _files_holding(TOKEN, tmp_path)

    store.remove(SITE, "ana")
    assert store.load(SITE, "ana") is None


def test_a_keyring_that_drops_everything_is_not_used() -> None:
    with use_keyring(null.Keyring()):
        store = TokenStore()
        store.save(SITE, "ana", TOKEN)

        assert store.memory_only
        assert store.load(SITE, "ana") == TOKEN
        assert store.take_notice() == MEMORY_ONLY_NOTICE


class LockedKeyring(MemoryKeyring):
    """A desktop keyring whose owner refused to unlock it."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")


def test_a_keyring_error_keeps_the_token_in_memory(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="app.secrets")
    with use_keyring(LockedKeyring()) as backend:
        store = TokenStore()

        assert store.save(SITE, "ana", TOKEN) is False

        assert store.load(SITE, "ana") == TOKEN
        assert isinstance(backend, LockedKeyring)
        assert backend.entries == {}
        assert store.take_notice() == MEMORY_ONLY_NOTICE
    assert "KeyringLocked" in caplog.text
    assert TOKEN not in caplog.text


def test_a_chainer_with_no_backend_is_no_keyring() -> None:
    # What keyring chooses where no backend may be used: a chainer with
    # nothing to chain. (Letting keyring look for every backend here would
    # load the desktop ones, D-Bus clients included, into the test process.)
    class Empty(chainer.ChainerBackend):
        backends = []  # type: ignore[assignment]

    assert unusable_reason(Empty()) is not None
    with use_keyring(Empty()):
        store = TokenStore()
        assert store.save(SITE, "ana", TOKEN) is False
        assert store.load(SITE, "ana") == TOKEN
        assert store.take_notice() == MEMORY_ONLY_NOTICE


def test_a_chainer_writing_to_a_safe_keyring_is_used() -> None:
    class Chained(chainer.ChainerBackend):
        backends = [MemoryKeyring()]  # type: ignore[assignment]

    assert unusable_reason(Chained()) is None


def test_the_window_starts_without_importing_keyring(tmp_path: Path) -> None:
    probe = (
        "import json, sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from app.gui import build_workspace\n"
        "from app.settings import Settings\n"
        "app = QApplication(sys.argv[:1])\n"
        "build_workspace(Settings.open(sys.argv[1])).window.show()\n"
        "print(json.dumps('keyring' in sys.modules))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "settings.ini")],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )  # fmt: skip

    assert json.loads(done.stdout.strip().splitlines()[-1]) is False


def _files_holding(secret: str, *folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and secret.encode() in path.read_bytes():
                found.append(path)
    return found


def test_a_backend_given_to_the_store_is_used_or_refused_the_same_way() -> None:
    from keyring.backends import fail

    given = MemoryKeyring()
    store = TokenStore(backend=given)
    store.save(SITE, "ana", TOKEN)
    assert given.entries == {(APP_ID, account_key(SITE, "ana")): TOKEN}

    refusing = TokenStore(backend=fail.Keyring())
    assert refusing.memory_only
    assert refusing.save(SITE, "ana", TOKEN) is False
    assert refusing.load(SITE, "ana") == TOKEN
