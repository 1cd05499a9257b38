"""A download cut off halfway goes on from where it stopped.

A loopback server serves one file, honours `Range: bytes=N-` (or not),
and cuts its answers as each test says. The client keeps the bytes it got
in a hidden part file, asks for the rest with Range, within the same call
and in a later one, starts over when the server sends the whole file or
another range, and gives the file its name only when it has the size
announced. Then the sandbox's own cut and no-range faults, on a real
report file.
"""

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from support.faulty_stack import (
    faulty_stack,
    finished,
    no_faults_after,
    reference_sha256,
    set_faults,
    trips_body,
)
from support.servers import serving

from app.downloads import download_key, part_path
from app.errors import NetworkError
from app.gateway import Gateway
from app.local_stack import DemoStack
from app.retry import RetryPolicy

__all__ = ["faulty_stack", "no_faults_after"]  # fixtures used by name

TOKEN = "d0d0" * 14
QUICK = RetryPolicy(first_delay=0.01, max_delay=0.05, deadline=5.0)
SHORT = RetryPolicy(first_delay=0.01, max_delay=0.05, deadline=0.3)
DATA = bytes(range(256)) * 1000  # 256,000 bytes, every offset recognisable
JOB = 21
NAME = "fleet.csv"


@dataclass
class FileServer:
    """Serves DATA as job 21's fleet.csv; records each Range asked for.

    cut: the bytes after which each answer is cut, one entry per request
    (None: whole); past the list, answers are whole. ranges: whether Range
    is honoured. wrong_start: answer 206 from byte 0 whatever is asked.
    """

    cut: list[int | None] = field(default_factory=list)
    ranges: bool = True
    wrong_start: bool = False
    asked: list[str | None] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        wanted = request.headers.get("range")
        cut = self.cut[len(self.asked)] if len(self.asked) < len(self.cut) else None
        self.asked.append(wanted)
        start = 0
        if wanted and self.ranges:
            start = 0 if self.wrong_start else int(wanted[6:].rstrip("-"))
        body = DATA[start:]
        headers = {"content-length": str(len(body)), "accept-ranges": "bytes"}
        status = 200
        if wanted and self.ranges:
            status = 206
            headers["content-range"] = f"bytes {start}-{len(DATA) - 1}/{len(DATA)}"
        self.answered.append(status)
        return StreamingResponse(
            _chunks(body, cut), status_code=status, headers=headers
        )

    @property
    def routes(self) -> dict[str, object]:
        return {f"/api/job_manager/{JOB}/{{name}}": self.handle}


async def _chunks(body: bytes, cut: int | None) -> AsyncIterator[bytes]:
    sent = body if cut is None else body[:cut]
    for offset in range(0, len(sent), 16_384):
        yield sent[offset : offset + 16_384]
    if cut is not None:
        raise RuntimeError("the connection dropped")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The folder the files are downloaded to (made by the download)."""
    return tmp_path / "out"


def leave_part(folder: Path, site_url: str, data: bytes) -> Path:
    """The part file of fleet.csv, holding data, as a try would leave it."""
    part = part_path(folder, NAME, download_key(site_url, JOB, NAME))
    folder.mkdir(parents=True, exist_ok=True)
    part.write_bytes(data)
    return part


def every_file(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def shown(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


@pytest.mark.asyncio
async def test_a_cut_download_goes_on_with_range_in_the_same_call(
    out: Path,
) -> None:
    server = FileServer(cut=[100_000])
    progress: list[tuple[int, int | None]] = []

    async with (
        serving(server.routes) as url,
        Gateway(url, token=TOKEN, retry=QUICK) as gateway,
    ):
        path = await gateway.download(
            JOB, NAME, out, on_progress=lambda *p: progress.append(p)
        )

    assert server.asked == [None, "bytes=100000-"]
    assert server.answered == [200, 206]
    assert path == out / NAME
    assert path.read_bytes() == DATA
    assert progress[-1] == (len(DATA), len(DATA))
    assert every_file(out) == [NAME]  # no part left behind


@pytest.mark.asyncio
async def test_a_later_call_goes_on_from_what_an_earlier_one_left(
    out: Path,
) -> None:
    # 50,000 bytes, then nothing more for as long as the first call lasts.
    server = FileServer(cut=[50_000] + [0] * 1000)

    async with serving(server.routes) as url:
        async with Gateway(url, token=TOKEN, retry=SHORT) as gateway:
            with pytest.raises(NetworkError):
                await gateway.download(JOB, NAME, out)
        part = part_path(out, NAME, download_key(gateway.site_url, JOB, NAME))
        kept = part.stat().st_size
        tries = len(server.asked)
        server.cut = []  # the network is good again

        async with Gateway(url, token=TOKEN, retry=QUICK) as later:
            path = await later.download(JOB, NAME, out)

    assert shown(out) == [NAME]
    assert kept == 50_000
    assert server.asked[tries] == f"bytes={kept}-"
    assert path.read_bytes() == DATA
    assert not part.exists()


@pytest.mark.asyncio
async def test_a_server_ignoring_range_has_the_file_start_over(out: Path) -> None:
    server = FileServer(cut=[120_000], ranges=False)

    async with (
        serving(server.routes) as url,
        Gateway(url, token=TOKEN, retry=QUICK) as gateway,
    ):
        path = await gateway.download(JOB, NAME, out)

    assert server.asked == [None, "bytes=120000-"]
    assert server.answered == [200, 200]
    assert path.read_bytes() == DATA  # not the first 120,000 bytes twice


@pytest.mark.asyncio
async def test_another_range_than_asked_is_dropped_and_the_file_asked_whole(
    out: Path,
) -> None:
    server = FileServer(cut=[90_000], wrong_start=True)

    async with (
        serving(server.routes) as url,
        Gateway(url, token=TOKEN, retry=QUICK) as gateway,
    ):
        path = await gateway.download(JOB, NAME, out)

    assert server.asked == [None, "bytes=90000-", None]
    assert path.read_bytes() == DATA


@pytest.mark.asyncio
async def test_a_part_already_whole_is_finished_on_a_416(out: Path) -> None:
    asked: list[str | None] = []

    async def whole_already(request: Request) -> Response:
        asked.append(request.headers.get("range"))
        return Response(
            status_code=416, headers={"content-range": f"bytes */{len(DATA)}"}
        )

    routes = {f"/api/job_manager/{JOB}/{{name}}": whole_already}
    async with serving(routes) as url, Gateway(url, token=TOKEN) as gateway:
        # As left by a try that got every byte but stopped before the rename.
        part = leave_part(out, gateway.site_url, DATA)
        path = await gateway.download(JOB, NAME, out)

    assert asked == [f"bytes={len(DATA)}-"]
    assert path.read_bytes() == DATA
    assert every_file(out) == [NAME]
    assert not part.exists()


@pytest.mark.asyncio
async def test_a_file_shorter_than_announced_never_gets_its_name(
    out: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def short(request: Request) -> Response:
        # A well-formed 206 of 1,000 bytes out of a file said to hold more.
        return Response(
            DATA[:1000],
            status_code=206,
            headers={"content-range": f"bytes 0-999/{len(DATA)}"},
        )

    routes = {f"/api/job_manager/{JOB}/{{name}}": short}
    async with (
        serving(routes) as url,
        Gateway(url, token=TOKEN, retry=SHORT) as gateway,
    ):
        with pytest.raises(NetworkError):
            await gateway.download(JOB, NAME, out)

    # The first try's failure, as the log tells it; the file never appears.
    assert "ended after 1,000 of the 256,000 bytes announced" in caplog.text
    assert shown(out) == []


@pytest.mark.asyncio
async def test_two_downloads_of_one_file_at_once_do_not_mix(out: Path) -> None:
    server = FileServer(cut=[70_000, 70_000])

    async with (
        serving(server.routes) as url,
        Gateway(url, token=TOKEN, retry=QUICK) as gateway,
    ):
        paths = await asyncio.gather(
            gateway.download(JOB, NAME, out),
            gateway.download(JOB, NAME, out),
        )

    assert sorted(p.name for p in paths) == ["fleet (2).csv", NAME]
    assert all(p.read_bytes() == DATA for p in paths)
    assert shown(out) == ["fleet (2).csv", NAME]


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.parametrize("no_range", [False, True])
async def test_a_sandbox_download_cut_off_arrives_whole(
    no_faults_after: DemoStack, out: Path, no_range: bool
) -> None:
    stack = no_faults_after

    async with Gateway(stack.gateway_url, retry=QUICK) as gateway:
        await gateway.login(stack.username, stack.password)
        job = await gateway.create_job(**trips_body(stack, f"cut {no_range}"))
        done = await finished(gateway, job.id)
        set_faults(stack, drop_downloads=1000, no_range=no_range)
        paths = [await gateway.download(done.id, f, out) for f in done.files]

    assert done.state == "done"
    assert shown(out) == sorted(done.files)
    for path, filename in zip(paths, done.files, strict=True):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest == reference_sha256(stack, done.id, filename)
