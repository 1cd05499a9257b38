"""Downloading a finished job's files: one that fails does not stop the rest.

A small gateway on loopback (tests/support/servers.py) serves some of a
job's files, answers 404 for one, and cuts the connection for another; the
job also lists a name that is a path, which is refused before any request.
"""

import logging
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from support.servers import serving

from app.errors import GatewayError
from app.gateway import Gateway
from app.jobs import Job
from app.retry import RetryPolicy
from app.runs import download_files

TOKEN = "9a1e" * 14
FILES = {"first.csv": "a,b\n1,2\n", "last.json": '{"rows": 1}'}


def job_with(files: list[str]) -> Job:
    return Job.from_json(
        {
            "id": 12,
            "script": "trips",
            "name": "Trips",
            "state": "done",
            "progress": {"percentage": 100},
            "result": {"files": files},
        }
    )


async def file(request: Request) -> Response:
    name = request.path_params["name"]
    if name == "broken.csv":
        # Headers promise more than the body brings: the download is cut.
        return Response(
            b"a,b\n", headers={"content-length": "1000"}, media_type="text/csv"
        )
    if name not in FILES:
        return PlainTextResponse("no such file", status_code=404)
    return PlainTextResponse(FILES[name], media_type="text/csv")


@pytest.mark.asyncio
async def test_every_file_that_can_be_had_is_saved_then_the_failures_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    job = job_with(
        ["first.csv", "../escape.csv", "gone.csv", "broken.csv", "last.json"]
    )
    out = tmp_path / "reports"
    saved: list[Path] = []
    routes = {"/api/job_manager/12/{name}": file}

    # The cut file is tried again a few times, quickly, then given up on.
    quick = RetryPolicy(first_delay=0.01, max_delay=0.05, deadline=0.3)
    async with (
        serving(routes) as url,
        Gateway(url, token=TOKEN, retry=quick) as gateway,
    ):
        with pytest.raises(GatewayError) as caught:
            await download_files(gateway, job, out, on_file=saved.append)

    assert saved == [out / "first.csv", out / "last.json"]
    # Only the bytes of the cut file wait, hidden, for a later try.
    shown = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert shown == ["first.csv", "last.json"]
    assert (out / "last.json").read_text() == FILES["last.json"]
    message = str(caught.value)
    assert message.startswith("3 of the 5 files of job 12 could not be downloaded:")
    for name in ("'../escape.csv'", "'gone.csv'", "'broken.csv'"):
        assert name in message
    assert "HTTP 404" in message
    assert message.endswith(f"the other 2 are saved in {out}")
    assert "first.csv" not in message
    assert TOKEN not in message
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("gone.csv was not downloaded" in r.getMessage() for r in warnings)


@pytest.mark.asyncio
async def test_a_job_whose_files_all_arrive_gives_their_paths(tmp_path: Path) -> None:
    job = job_with(["first.csv", "last.json"])
    out = tmp_path / "reports"
    routes = {"/api/job_manager/12/{name}": file}

    async with serving(routes) as url, Gateway(url, token=TOKEN) as gateway:
        paths = await download_files(gateway, job, out)

    assert paths == [out / "first.csv", out / "last.json"]
