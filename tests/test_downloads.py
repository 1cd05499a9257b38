"""Local names for report files: whatever the server sends, one safe name."""

from pathlib import Path

import pytest

from app.downloads import (
    MAX_NAME_CHARS,
    download_key,
    mark_downloaded,
    open_part,
    part_path,
    part_size,
    safe_filename,
    unique_path,
)
from app.errors import UsageError

HOSTILE_NAMES = [
    "../../x",
    "/etc/passwd",
    "C:\\x",
    "C:x.csv",
    "..\\..\\windows\\system32\\cmd.exe",
    "CON.txt",
    "nul",
    "com1.tar.gz",
    "a\x00b\x1fc\x7f.csv",
    "x" * 300 + ".csv",
    "é" * 300 + ".json",
    "",
    ".",
    "..",
    ".bashrc",
    "  report.csv. ",
    'a<b>:c|d?"*.pdf',
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_name_becomes_one_plain_file_in_the_folder(
    name: str, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    safe = safe_filename(name)

    assert safe
    assert (folder / safe).parent == folder
    assert not safe.startswith(".")
    assert not any(ch in safe for ch in '/\\:<>|?*"')
    assert all(ord(ch) >= 32 and ord(ch) != 127 for ch in safe)
    assert len(safe) <= MAX_NAME_CHARS
    assert len(safe.encode()) < 255

    # The name really can be created, and lands inside the folder.
    (folder / safe).write_text("data")
    assert [p.name for p in folder.iterdir()] == [safe]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("trips.json", "trips.json"),
        ("../../x", "x"),
        ("/etc/passwd", "passwd"),
        ("C:\\x", "x"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ("a\x00b\x1fc.csv", "abc.csv"),
        ("", "download"),
        (".", "download"),
        ("..", "download"),
        (".bashrc", "bashrc"),
        ("Idling Usage 2026-11-02.xlsx", "Idling Usage 2026-11-02.xlsx"),
    ],
)
def test_safe_filename_keeps_what_is_harmless_and_drops_the_rest(
    name: str, expected: str
) -> None:
    assert safe_filename(name) == expected


def test_an_overlong_name_is_cut_but_keeps_its_extension() -> None:
    safe = safe_filename("x" * 300 + ".csv")

    assert safe.endswith(".csv")
    assert len(safe) == MAX_NAME_CHARS
    assert safe_filename("é" * 300 + ".json").endswith(".json")


def test_a_reserved_windows_name_is_changed_whatever_its_case() -> None:
    for name in ("CON", "con.csv", "Aux.json", "LPT1.pdf", "PRN.tar.gz"):
        assert safe_filename(name).split(".")[0].upper() not in {
            "CON",
            "AUX",
            "LPT1",
            "PRN",
        }


def test_unique_path_numbers_the_copies_instead_of_overwriting(
    tmp_path: Path,
) -> None:
    first = unique_path(tmp_path, "trips.csv")
    first.write_text("one")
    second = unique_path(tmp_path, "trips.csv")
    second.write_text("two")
    third = unique_path(tmp_path, "../trips.csv")

    assert first.name == "trips.csv"
    assert second.name == "trips (2).csv"
    assert third.name == "trips (3).csv"
    assert first.read_text() == "one"


def test_unique_path_of_an_overlong_name_stays_within_the_limit(
    tmp_path: Path,
) -> None:
    name = "y" * 400 + ".json"
    unique_path(tmp_path, name).write_text("{}")
    again = unique_path(tmp_path, name)

    assert again.name.endswith(" (2).json")
    assert len(again.name) <= MAX_NAME_CHARS
    assert again.parent == tmp_path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CON .csv", "_CON.csv"),
        ("con. .json", "_con.json"),
        ("COM¹.txt", "_COM¹.txt"),
        ("lpt³", "_lpt³"),
        ("COM10.txt", "COM10.txt"),
        ("rlo\u202ecod.exe", "rlocod.exe"),
        ("zero\u200bwidth\ufeff.csv", "zerowidth.csv"),
        ("report . .csv", "report.csv"),
    ],
)
def test_device_names_trailing_dots_and_invisible_characters_are_dealt_with(
    name: str, expected: str
) -> None:
    assert safe_filename(name) == expected


def test_unique_path_treats_a_link_to_nowhere_as_taken(tmp_path: Path) -> None:
    (tmp_path / "trips.csv").symlink_to(tmp_path / "missing" / "trips.csv")
    (tmp_path / "trips (2).csv").symlink_to(tmp_path / "also-missing")

    assert unique_path(tmp_path, "trips.csv") == tmp_path / "trips (3).csv"


# ---- the Mark of the Web ----------------------------------------------------
# Written only on Windows, where it cannot be tested here: the Windows branch
# is run with a writer that records what would go in the stream.


def test_on_windows_a_download_is_marked_as_from_the_internet(tmp_path: Path) -> None:
    written: list[tuple[str, str]] = []
    report = tmp_path / "trips.csv"

    marked = mark_downloaded(
        report,
        "https://alice:S3cret@gw.invalid",
        host_url="https://alice:S3cret@gw.invalid/api/job_manager/5/trips.csv",
        platform="win32",
        writer=lambda stream, text: written.append((stream, text)),
    )

    assert marked
    assert written == [
        (
            f"{report}:Zone.Identifier",
            "[ZoneTransfer]\r\nZoneId=3\r\nReferrerUrl=https://gw.invalid\r\n"
            "HostUrl=https://gw.invalid/api/job_manager/5/trips.csv\r\n",
        )
    ]


def test_a_mark_that_cannot_be_written_leaves_the_download_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def no_streams(stream: str, text: str) -> None:
        raise OSError(22, "no alternate data streams on this drive")

    marked = mark_downloaded(
        tmp_path / "trips.csv",
        "https://gw.invalid",
        platform="win32",
        writer=no_streams,
    )

    assert not marked
    assert "could not mark" in caplog.text


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_elsewhere_nothing_is_written(tmp_path: Path, platform: str) -> None:
    written: list[tuple[str, str]] = []
    out = tmp_path / "out"
    out.mkdir()
    (out / "trips.csv").write_text("a,b\n")

    marked = mark_downloaded(
        out / "trips.csv",
        "https://gw.invalid",
        platform=platform,
        writer=lambda stream, text: written.append((stream, text)),
    )

    assert not marked
    assert written == []
    assert [p.name for p in out.iterdir()] == ["trips.csv"]


def test_a_part_file_is_hidden_and_named_the_same_for_each_try(tmp_path: Path) -> None:
    key = download_key("https://gw.example", 12, "trips.csv")
    part = part_path(tmp_path, "trips.csv", key)

    assert part.parent == tmp_path
    assert part.name.startswith(".trips.csv.")
    assert part.name.endswith(".part")
    assert part == part_path(tmp_path, "trips.csv", key)
    others = {
        download_key("https://gw.example", 13, "trips.csv"),
        download_key("https://other.example", 12, "trips.csv"),
        download_key("https://gw.example", 12, "trips.json"),
    }
    assert key not in others
    assert len(others) == 3


def test_a_hostile_name_gives_a_part_file_inside_the_folder(tmp_path: Path) -> None:
    for name in ("../../x", "/etc/passwd", "C:\\x", "é" * 300, ""):
        part = part_path(tmp_path, name, download_key("g", 1, name))
        assert part.parent == tmp_path
        assert len(part.name.encode()) < 255


def test_a_part_file_is_appended_to_or_emptied(tmp_path: Path) -> None:
    part = tmp_path / "out" / ".x.part"
    with open_part(part, keep=True) as out:
        out.write(b"abc")
    with open_part(part, keep=True) as out:
        out.write(b"def")
    assert part.read_bytes() == b"abcdef"
    assert part_size(part) == 6

    with open_part(part, keep=False) as out:
        out.write(b"g")
    assert part.read_bytes() == b"g"


def test_a_link_placed_at_the_part_name_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_bytes(b"keep me")
    part = tmp_path / ".x.part"
    part.symlink_to(target)

    assert part_size(part) == 0
    with pytest.raises(UsageError, match="cannot write files in"):
        open_part(part, keep=True)
    assert target.read_bytes() == b"keep me"
