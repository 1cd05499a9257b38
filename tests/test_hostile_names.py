"""Hostile file names from a gateway land as safe files in the chosen folder.

A loopback gateway lists whatever names a test gives it and serves, for
each, content that says which name was asked for; some answers carry a
Content-Disposition. Every file must end up inside the folder the person
chose, under a name every system accepts, with the content it was served,
and without replacing another file. Names that are paths are refused
before anything is asked.
"""

import urllib.parse
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import Response
from support.servers import serving

from app.downloads import MAX_NAME_CHARS
from app.errors import GatewayError
from app.gateway import Gateway
from app.retry import RetryPolicy

TOKEN = "beef" * 14
QUICK = RetryPolicy(first_delay=0.01, max_delay=0.05, deadline=2.0)
JOB = 5
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{kind}{n}" for kind in ("COM", "LPT") for n in range(10)
}


def served(name: str) -> bytes:
    """What the gateway serves for the file it was asked for by that name."""
    return f"the file asked for as {name!r}\n".encode()


class NamedFiles:
    """Job 5's files, whatever their names; dispositions by name asked for."""

    def __init__(self, dispositions: dict[str, str] | None = None) -> None:
        self.dispositions = dispositions or {}
        self.asked: list[str] = []

    async def file(self, request: Request) -> Response:
        # The name exactly as sent, decoded once: what the gateway would read.
        raw = request.scope["raw_path"].decode("ascii").rsplit("/", 1)[-1]
        name = urllib.parse.unquote(raw)
        self.asked.append(name)
        headers = {}
        if name in self.dispositions:
            headers["content-disposition"] = self.dispositions[name]
        return Response(served(name), media_type="text/csv", headers=headers)

    @property
    def routes(self) -> dict[str, object]:
        return {f"/api/job_manager/{JOB}/{{name}}": self.file}


async def download_all(
    names: list[str], folder: Path, files: NamedFiles | None = None
) -> tuple[list[Path], NamedFiles]:
    """Download each name, one after another, from a fresh loopback gateway."""
    files = files or NamedFiles()
    async with (
        serving(files.routes) as url,
        Gateway(url, token=TOKEN, retry=QUICK) as gateway,
    ):
        paths = [await gateway.download(JOB, name, folder) for name in names]
    return paths, files


def assert_safe_inside(path: Path, folder: Path) -> None:
    """path is a plain file directly in folder, named as every system allows."""
    name = path.name
    assert path.resolve().parent == folder.resolve()
    assert path.is_file()
    assert not path.is_symlink()
    assert name
    assert not name.startswith(".")
    assert not any(ch in name for ch in '/\\:<>|?*"')
    assert all(ord(ch) >= 32 and not 127 <= ord(ch) < 160 for ch in name)
    assert len(name) <= MAX_NAME_CHARS
    assert len(name.encode()) < 255
    assert name.split(".")[0].rstrip(" ").upper() not in WINDOWS_RESERVED
    assert name == name.strip(" .")


def files_under(root: Path) -> list[Path]:
    """Every file below root, the test's data folder left out."""
    return sorted(p for p in root.rglob("*") if p.is_file() and "data" not in p.parts)


HOSTILE_NAMES = [
    "C:evil.csv",
    "C:",
    "CON.txt",
    "con",
    "nul",
    "NUL.tar.gz",
    "com1.csv",
    "LPT9",
    "CON .csv",
    "a\x01b\x1fc\x7f.csv",
    "tab\there.csv",
    "line\nbreak.csv",
    "rlo\u202ecod.exe",
    "x" * 300 + ".csv",
    "é" * 300 + ".json",
    "💥" * 100,
    ".bashrc",
    "...",
    ".hidden.csv",
    "  report.csv. ",
    'a<b>:c|d?"*.pdf',
    "trailing dot.",
]


@pytest.mark.asyncio
@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
async def test_a_hostile_name_lands_safe_in_the_folder_with_its_content(
    name: str, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"

    [path], files = await download_all([name], folder)

    assert files.asked == [name]  # the gateway was asked for the listed name
    assert_safe_inside(path, folder)
    assert path.read_bytes() == served(name)
    assert files_under(tmp_path) == [path]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "name",
    [
        "../../x",
        "../../../etc/cron.d/evil",
        "/etc/passwd",
        "/tmp/evil.csv",
        "C:\\Windows\\evil.csv",
        "\\\\server\\share\\evil.csv",
        "..\\..\\windows\\system32\\cmd.exe",
        "reports/../../evil.csv",
        "",
        "   ",
        ".",
        "..",
    ],
    ids=repr,
)
async def test_a_name_that_is_a_path_is_refused_before_any_request(
    name: str, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    files = NamedFiles()

    async with (
        serving(files.routes) as url,
        Gateway(url, token=TOKEN, retry=QUICK) as gateway,
    ):
        with pytest.raises(GatewayError) as caught:
            await gateway.download(JOB, name, folder)

    assert "which is not a plain file name; it was not downloaded" in str(caught.value)
    assert files.asked == []
    assert files_under(tmp_path) == []


@pytest.mark.asyncio
async def test_names_that_differ_only_in_case_keep_both_files(tmp_path: Path) -> None:
    folder = tmp_path / "reports"

    paths, _files = await download_all(["Report.csv", "report.csv"], folder)

    # Two files, wherever the system folds case or not, each its own bytes.
    assert len(set(paths)) == 2
    assert paths[0].read_bytes() == served("Report.csv")
    assert paths[1].read_bytes() == served("report.csv")
    assert sorted(files_under(tmp_path)) == sorted(paths)


@pytest.mark.asyncio
async def test_the_same_name_twice_never_overwrites(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "trips.csv").write_bytes(b"the person's own file\n")

    paths, _files = await download_all(["trips.csv", "trips.csv"], folder)

    assert [p.name for p in paths] == ["trips (2).csv", "trips (3).csv"]
    assert all(p.read_bytes() == served("trips.csv") for p in paths)
    assert (folder / "trips.csv").read_bytes() == b"the person's own file\n"


@pytest.mark.asyncio
async def test_names_made_alike_by_cleaning_do_not_overwrite(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    names = ["a?b.csv", "a*b.csv", "a|b.csv", "CON.csv", "_CON.csv"]

    paths, _files = await download_all(names, folder)

    assert [p.name for p in paths] == [
        "a_b.csv",
        "a_b (2).csv",
        "a_b (3).csv",
        "_CON.csv",
        "_CON (2).csv",
    ]
    for path, name in zip(paths, names, strict=True):
        assert_safe_inside(path, folder)
        assert path.read_bytes() == served(name)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("asked", "disposition", "saved"),
    [
        # RFC 5987/6266: any character, percent-encoded in UTF-8.
        (
            "rates.csv",
            "attachment; filename*=UTF-8''%E2%82%AC%20rates.csv",
            "€ rates.csv",
        ),
        (
            "rates.csv",
            "attachment; filename*=iso-8859-1'en'%A3%20rates.csv",
            "£ rates.csv",
        ),
        # filename* wins over filename, whichever comes first.
        (
            "r.csv",
            "attachment; filename=\"x.csv\"; filename*=UTF-8''%C3%A9t%C3%A9.csv",
            "été.csv",
        ),
        (
            "r.csv",
            "attachment; filename*=UTF-8''%C3%A9t%C3%A9.csv; filename=\"x.csv\"",
            "été.csv",
        ),
        # Path parts in filename*: only the last part is kept.
        (
            "rates.csv",
            "attachment; filename*=UTF-8''..%2F..%2Fetc%2Frates.csv",
            "rates.csv",
        ),
        (
            "rates.csv",
            "attachment; filename*=UTF-8''%2Ftmp%2Fnew%20rates.csv",
            "new rates.csv",
        ),
        (
            "rates.csv",
            "attachment; filename*=UTF-8''C%3A%5CWindows%5Cother.csv",
            "other.csv",
        ),
        ("rates.csv", "attachment; filename*=UTF-8''CON.csv", "_CON.csv"),
        ("rates.csv", "attachment; filename*=UTF-8''%2E%2E", "rates.csv"),
        # Another extension than the one listed is not taken.
        ("trips.csv", "attachment; filename*=UTF-8''trips.exe", "trips.csv"),
        ("trips.csv", "attachment; filename*=UTF-8''trips.csv.lnk", "trips.csv"),
        # A plain filename, bytes that are not UTF-8, an unknown charset,
        # and a header that cannot be read: the name listed.
        ("trips.csv", 'attachment; filename="other.csv"', "trips.csv"),
        ("trips.csv", "attachment; filename*=UTF-8''%FF%FE.csv", "trips.csv"),
        ("trips.csv", "attachment; filename*=no-such-charset''x.csv", "trips.csv"),
        ("trips.csv", "attachment;;; filename*===", "trips.csv"),
        ("trips.csv", "inline", "trips.csv"),
    ],
    ids=lambda value: repr(value)[:40],
)
async def test_content_disposition_names_the_file_only_when_safe(
    asked: str, disposition: str, saved: str, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    files = NamedFiles({asked: disposition})

    [path], _files = await download_all([asked], folder, files)

    assert path == folder / saved
    assert_safe_inside(path, folder)
    assert path.read_bytes() == served(asked)
    assert files_under(tmp_path) == [path]
