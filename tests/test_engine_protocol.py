"""How the embedded engine reads what a gateway sends it, quirks included."""

from pathlib import Path

import httpx
import pytest

from app.engine.files import ReportTable, find_file, write_files
from app.engine.gateway import JobGateway, api_base
from app.engine.job import JobRequest
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
    names = write_files(tmp_path / "3" / "4", table, ["csv", "json"])
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
    folder = tmp_path / "41" / "7"
    table = ReportTable("trips", "Trips", ["vid"], [{"vid": 1}])
    write_files(folder, table, ["csv", "xlsx"])

    names = write_files(folder, table, ["json"])

    assert names == ["trips.json"]
    assert sorted(p.name for p in folder.iterdir()) == ["trips.json"]


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
