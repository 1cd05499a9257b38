"""A sign-in kept in the keyring: the next start asks nothing, a stale one
is dropped, signing out forgets it; without a keyring, the window says so.

The real window built by app.gui against a sandbox and engine of the tests'
own (processes on loopback, not the window's demo); the keyring is a backend
of the tests' own chosen through keyring's API, or keyring's real backend
of a machine that has none.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from keyring.backend import KeyringBackend
from pytestqt.qtbot import QtBot
from support.dialogs import ShowCounter
from support.keyrings import MemoryKeyring
from support.own_gateway import USER, OwnGateway, own_gateway
from support.servers import closed_port
from support.window import WAIT_MS, sign_in

from app import APP_ID
from app.addresses import normalize_site_url
from app.controllers.icons import loopback_only
from app.gui import Workspace, build_workspace
from app.secrets import MEMORY_ONLY_NOTICE, account_key
from app.settings import MODE_GATEWAY, Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnGateway]:
    with own_gateway(tmp_path_factory.mktemp("own-gateway")) as running:
        yield running


@pytest.fixture
def next_start(
    loop: qasync.QEventLoop, qtbot: QtBot, workspace: Workspace
) -> Iterator[Workspace]:
    """The app started again on the same settings file (not yet signed in)."""
    again = build_workspace(
        Settings.open(workspace.settings.path), icon_hosts=loopback_only
    )
    again.window.show()
    try:
        yield again
    finally:
        closing = loop.create_task(again.aclose())
        qtbot.waitUntil(closing.done, timeout=WAIT_MS)
        again.window.close()
        again.window.deleteLater()


def kept(backend: KeyringBackend, own: OwnGateway) -> str | None:
    assert isinstance(backend, MemoryKeyring)
    key = account_key(normalize_site_url(own.url), own.username)
    return backend.entries.get((APP_ID, key))


def signed_in(qtbot: QtBot, workspace: Workspace, own: OwnGateway) -> str:
    """Sign in with the password; the session's token once kept."""
    sign_in(qtbot, workspace, own.url, own.username, own.password)
    qtbot.waitUntil(
        lambda: workspace.window.connection_state == "online", timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: not workspace.session.busy, timeout=WAIT_MS)
    session = workspace.session.session
    assert session is not None
    assert session.gateway.token
    return session.gateway.token


def test_the_next_start_signs_in_with_the_kept_token_and_sign_out_forgets_it(
    qtbot: QtBot,
    workspace: Workspace,
    own: OwnGateway,
    memory_keyring: KeyringBackend,
    next_start: Workspace,
) -> None:
    token = signed_in(qtbot, workspace, own)

    # Compared, never shown: a failure must not print a secret.
    in_keyring = kept(memory_keyring, own) == token
    assert in_keyring, "the session's token is not in the keyring"
    held = str(memory_keyring.entries)  # type: ignore[attr-defined]
    password_kept = own.password in held
    assert not password_kept, "the password is in the keyring"
    in_settings = token in workspace.settings.path.read_text()
    assert not in_settings, "the token is in the settings"

    shows = ShowCounter(next_start.window.sign_in_dialog)
    next_start.session.start()
    window = next_start.window
    qtbot.waitUntil(lambda: window.connection_state == "online", timeout=WAIT_MS)

    assert shows.count == 0
    assert own.username in window.connection_label.text()
    assert window.sign_out_action.isEnabled()

    window.sign_out_action.trigger()
    qtbot.waitUntil(lambda: window.connection_state == "offline", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: kept(memory_keyring, own) is None, timeout=WAIT_MS)
    assert not window.sign_out_action.isEnabled()
    assert next_start.session.session is None


def test_a_kept_token_the_gateway_refuses_asks_for_the_password_and_is_dropped(
    qtbot: QtBot,
    own: OwnGateway,
    memory_keyring: KeyringBackend,
    workspace: Workspace,
    next_start: Workspace,
) -> None:
    settings = next_start.settings
    settings.mode = MODE_GATEWAY
    settings.gateway_url = normalize_site_url(own.url)
    settings.username = own.username
    key = account_key(settings.gateway_url, own.username)
    memory_keyring.set_password(APP_ID, key, "ab" * 28)

    next_start.session.start()

    dialog = next_start.window.sign_in_dialog
    qtbot.waitUntil(lambda: not dialog.error_label.isHidden(), timeout=WAIT_MS)
    assert dialog.isVisible()
    assert "no longer accepts the saved sign-in" in dialog.error_label.text()
    assert dialog.url_edit.text() == settings.gateway_url
    assert dialog.user_edit.text() == own.username
    assert dialog.password_edit.text() == ""
    qtbot.waitUntil(lambda: kept(memory_keyring, own) is None, timeout=WAIT_MS)


def test_a_token_sign_in_is_kept_as_well(
    qtbot: QtBot,
    workspace: Workspace,
    own: OwnGateway,
    memory_keyring: KeyringBackend,
) -> None:
    token = own.login()
    workspace.window.sign_in_action.trigger()
    dialog = workspace.window.sign_in_dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.url_edit.setText(own.url)
    dialog.token_choice.setChecked(True)
    qtbot.keyClicks(dialog.token_edit, token)
    dialog.sign_in_button.click()

    qtbot.waitUntil(
        lambda: workspace.window.connection_state == "online", timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: kept(memory_keyring, own) == token, timeout=WAIT_MS)


def test_without_a_keyring_the_window_says_once_that_the_sign_in_is_not_kept(
    qtbot: QtBot,
    workspace: Workspace,
    own: OwnGateway,
    no_keyring: KeyringBackend,
    data_dir: Path,
    tmp_path: Path,
) -> None:
    banner = workspace.window.banner
    token = signed_in(qtbot, workspace, own)

    assert banner.isVisible()
    assert banner.text.rstrip(".") == MEMORY_ONLY_NOTICE
    banner.close_button.click()

    again = signed_in(qtbot, workspace, own)

    assert again != token, "signing in again gave the same token"
    assert banner.isHidden() or MEMORY_ONLY_NOTICE not in banner.text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            written = token.encode() in content or again.encode() in content
            assert not written, f"a token is in {path}"


def remember(settings: Settings, site_url: str, user: str) -> None:
    """The settings of a run that signed in to site_url as user."""
    settings.mode = MODE_GATEWAY
    settings.gateway_url = site_url
    settings.username = user
    settings.sync()


def test_a_start_that_cannot_reach_the_gateway_keeps_the_token(
    qtbot: QtBot,
    memory_keyring: KeyringBackend,
    workspace: Workspace,
    next_start: Workspace,
) -> None:
    site = f"http://127.0.0.1:{closed_port()}"
    remember(next_start.settings, site, USER)
    memory_keyring.set_password(APP_ID, account_key(site, USER), "cd" * 28)

    next_start.session.start()

    dialog = next_start.window.sign_in_dialog
    qtbot.waitUntil(lambda: not dialog.error_label.isHidden(), timeout=WAIT_MS)
    assert "could not reach" in dialog.error_label.text().lower()
    still_kept = memory_keyring.get_password(APP_ID, account_key(site, USER))
    assert still_kept == "cd" * 28, "the kept token was dropped"


def test_signing_in_without_a_password_uses_the_kept_token(
    qtbot: QtBot,
    own: OwnGateway,
    memory_keyring: KeyringBackend,
    workspace: Workspace,
) -> None:
    # As after a start that could not reach the gateway: the dialog is
    # filled in, the password empty, and the kept token still good.
    site = normalize_site_url(own.url)
    remember(workspace.settings, site, own.username)
    token = own.login()
    memory_keyring.set_password(APP_ID, account_key(site, own.username), token)
    workspace.session.ask_to_sign_in()
    dialog = workspace.window.sign_in_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.password_edit.text() == ""

    dialog.sign_in_button.click()

    window = workspace.window
    qtbot.waitUntil(lambda: window.connection_state == "online", timeout=WAIT_MS)
    session = workspace.session.session
    assert session is not None
    same = session.gateway.token == token
    assert same, "the session did not use the kept token"
    assert not dialog.isVisible()
