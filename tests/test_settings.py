"""The settings file: defaults, what is remembered, and what never is."""

from pathlib import Path

import pytest

from app.paths import downloads_dir
from app.settings import MODE_DEMO, SETTINGS_FILE, Settings


def test_a_new_settings_file_gives_the_defaults(data_dir: Path) -> None:
    settings = Settings.open()

    assert settings.path == data_dir / SETTINGS_FILE
    assert settings.first_run
    assert settings.gateway_url == ""
    assert settings.username == ""
    assert settings.download_dir == downloads_dir()
    assert settings.window_geometry == b""


def test_choices_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "chosen.ini"
    settings = Settings.open(path)
    settings.mode = MODE_DEMO
    settings.gateway_url = "https://gateway.test"
    settings.username = "ana@fleet.test"
    settings.download_dir = tmp_path / "reports"
    settings.window_geometry = b"\x01\x02\xff geometry"
    settings.sync()

    again = Settings.open(path)

    assert not again.first_run
    assert again.mode == MODE_DEMO
    assert again.gateway_url == "https://gateway.test"
    assert again.username == "ana@fleet.test"
    assert again.download_dir == tmp_path / "reports"
    assert again.window_geometry == b"\x01\x02\xff geometry"


def test_a_damaged_value_reads_as_the_default(tmp_path: Path) -> None:
    path = tmp_path / "damaged.ini"
    path.write_text("[window]\ngeometry=not bytes at all\n", encoding="utf-8")

    assert Settings.open(path).window_geometry == b""


def test_a_setting_named_like_a_secret_cannot_be_declared() -> None:
    # Python 3.11 wraps errors of __set_name__ in a RuntimeError.
    with pytest.raises((TypeError, RuntimeError), match="password"):

        class _Leaky(Settings):
            password = Settings.username.__class__("session/password", str, "")
