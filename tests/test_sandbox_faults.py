"""The sandbox's faults, made on purpose, as a client meets them over HTTP.

The sandbox runs as a child process; the engine behind it is the recording
engine of support/sandbox_engine.py, which serves a made-up CSV file (the
last test uses the embedded engine and its real files). Most tests share
one sandbox and set the faults they need with
PUT /api/sandbox/faults; a fixture puts the defaults back after each.
"""

import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.engine_stack import engine_and_sandbox, run_idling
from support.sandbox_engine import (
    FILE_LINE,
    FILE_REPEAT,
    RecordingEngine,
    as_engine,
    create_job,
    sign_in,
    wait_for,
    wait_for_state,
)

from app.children import LocalServer, app_command

FILE = FILE_LINE * FILE_REPEAT
NO_FAULTS = {
    "latency": 0.0,
    "5xx": 0.0,
    "drop_downloads": 0,
    "no_range": False,
    "malformed": 0.0,
    "slow_create": 0.0,
    "token_ttl": None,
    "seed": 0,
}


def start_sandbox(db: Path, *extra: str) -> LocalServer:
    server = LocalServer(
        "sandbox", app_command("sandbox", "--port", "0", "--db", str(db), *extra)
    )
    server.start()
    return server


@pytest.fixture(scope="module")
def engine() -> Iterator[RecordingEngine]:
    recording = RecordingEngine()
    recording.start()
    try:
        yield recording
    finally:
        recording.stop()


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, engine: RecordingEngine
) -> Iterator[LocalServer]:
    db = tmp_path_factory.mktemp("faults") / "sandbox.sqlite3"
    server = start_sandbox(db, "--engine", engine.url)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def user(sandbox: LocalServer) -> Iterator[httpx.Client]:
    assert sandbox.url is not None
    with sign_in(sandbox.url) as client:
        yield client
        # Every test starts from no faults, whatever it set.
        with sign_in(sandbox.url) as admin:
            admin.put("/api/sandbox/faults", json=NO_FAULTS).raise_for_status()


def set_faults(client: httpx.Client, **faults: Any) -> dict[str, Any]:
    response = client.put("/api/sandbox/faults", json=faults)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def finished_job(
    client: httpx.Client, engine: RecordingEngine, name: str = "report.csv"
) -> int:
    """A job its engine has closed as done with one file; its id."""
    job = create_job(client, engine.url)
    token = engine.token(client, job["id"])
    with as_engine(client, token) as job_engine:
        done = {"state": "done", "result": {"files": [name]}}
        job_engine.put(f"/api/job_manager/{job['id']}", json=done).raise_for_status()
    job_id: int = job["id"]
    return job_id


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- the defaults, the control routes, the counts ----------------------------


def test_by_default_there_are_no_faults(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job_id = finished_job(user, engine)

    faults = user.get("/api/sandbox/faults").json()
    reads = [user.get(f"/api/job_manager/{job_id}") for _ in range(30)]
    download = user.get(f"/api/job_manager/{job_id}/report.csv")

    assert faults == NO_FAULTS
    assert {r.status_code for r in reads} == {200}
    assert all(r.json()["state"] == "done" for r in reads)
    assert download.status_code == 200
    assert download.headers["content-length"] == str(len(FILE))
    assert download.headers["accept-ranges"] == "bytes"
    assert sha256(download.content) == sha256(FILE)


def test_the_fault_routes_need_a_signed_in_user(sandbox: LocalServer) -> None:
    assert sandbox.url is not None
    with httpx.Client(base_url=sandbox.url, trust_env=False, timeout=30) as anon:
        put = anon.put("/api/sandbox/faults", json={"5xx": 1})
        stats = anon.get("/api/sandbox/stats")
        faults = anon.get("/api/sandbox/faults")

    assert (put.status_code, stats.status_code, faults.status_code) == (401, 401, 401)


def test_a_job_token_may_not_set_faults(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job = create_job(user, engine.url)
    with as_engine(user, engine.token(user, job["id"])) as job_engine:
        response = job_engine.put("/api/sandbox/faults", json={"5xx": 1})

    assert response.status_code == 401
    assert user.get("/api/sandbox/faults").json()["5xx"] == 0


def test_put_answers_the_whole_set_and_changes_only_what_it_names(
    user: httpx.Client,
) -> None:
    answer = set_faults(user, latency=0.25, malformed=0.5)

    assert answer == {**NO_FAULTS, "latency": 0.25, "malformed": 0.5}
    assert user.get("/api/sandbox/faults").json() == answer


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"5xx": 1.5}, "5xx: must be a share from 0 to 1"),
        ({"latency": -1}, "latency: must be from 0 to 3600 seconds"),
        ({"no_range": "yes"}, "no_range: must be true or false"),
        ({"drop_downloads": 1.5}, "drop_downloads: must be a whole number"),
        ({"token_ttl": -1}, "token_ttl: must be a positive number of seconds"),
        ({"slowness": 1}, "slowness: not a fault setting"),
    ],
)
def test_a_bad_setting_is_refused_and_changes_nothing(
    user: httpx.Client, body: dict[str, Any], message: str
) -> None:
    response = user.put("/api/sandbox/faults", json={"malformed": 1, **body})

    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert user.get("/api/sandbox/faults").json() == NO_FAULTS


def test_stats_count_every_request_by_route(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job_id = finished_job(user, engine)
    user.delete("/api/sandbox/stats").raise_for_status()

    for _ in range(7):
        user.get(f"/api/job_manager/{job_id}")
    user.get("/api/job_manager")
    user.get("/api/no/such/thing")
    stats = user.get("/api/sandbox/stats").json()

    # A request is counted once answered: the DELETE that started the
    # counts again is, this GET is not yet.
    assert stats["by_path"] == {
        "DELETE /api/sandbox/stats": 1,
        "GET /api/job_manager/{job_id}": 7,
        "GET /api/job_manager": 1,
        "GET (no route)": 1,
    }
    assert stats["requests"] == 10


# ---- latency, 503s, broken JSON -------------------------------------------------


def test_latency_delays_api_answers_but_not_the_fault_routes(
    user: httpx.Client,
) -> None:
    set_faults(user, latency=5)

    with pytest.raises(httpx.ReadTimeout):
        user.get("/api/user", timeout=1)
    # The way out stays quick: the control routes are never delayed.
    answer = user.put("/api/sandbox/faults", json={"latency": 0}, timeout=1)

    assert answer.status_code == 200
    assert user.get("/api/user", timeout=1).status_code == 200


def test_every_answer_a_503_spares_sign_in_and_the_fault_routes(
    user: httpx.Client,
) -> None:
    set_faults(user, **{"5xx": 1})

    user.delete("/api/sandbox/stats").raise_for_status()
    reads = [user.get("/api/user").status_code for _ in range(5)]
    login = user.post("/api/login", json={"username": "demo", "password": "demo"})
    stats = user.get("/api/sandbox/stats")

    assert reads == [503] * 5
    assert login.status_code == 200
    assert stats.status_code == 200
    # Refused ones are counted too, under their route.
    assert stats.json()["by_path"]["GET /api/user"] == 5


def test_a_share_of_503s_repeats_with_its_seed(user: httpx.Client) -> None:
    set_faults(user, **{"5xx": 0.5, "seed": 7})
    first = [user.get("/api/vehicles").status_code for _ in range(40)]
    set_faults(user, seed=7)
    again = [user.get("/api/vehicles").status_code for _ in range(40)]

    assert set(first) == {200, 503}
    assert again == first


def test_a_503_is_answered_instead_of_creating_the_job(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    before = user.get("/api/job_manager").json()["total"]
    set_faults(user, **{"5xx": 1})

    refused = user.post(
        "/api/job_manager",
        json={"script": "mileage", "engine": engine.url, "args": {}},
    )
    set_faults(user, **{"5xx": 0})

    assert refused.status_code == 503
    assert "try again" in refused.json()["message"]
    assert user.get("/api/job_manager").json()["total"] == before


def test_an_engine_is_spared_the_503s_and_its_job_finishes(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job = create_job(user, engine.url)
    token = engine.token(user, job["id"])
    set_faults(user, **{"5xx": 1})

    with as_engine(user, token) as job_engine:
        progress = job_engine.put(
            f"/api/job_manager/{job['id']}",
            json={"state": "running", "progress": {"percentage": 50}},
        )
        done = job_engine.put(
            f"/api/job_manager/{job['id']}",
            json={"state": "done", "result": {"files": ["a.csv"]}},
        )
    seen_by_user = user.get(f"/api/job_manager/{job['id']}")
    set_faults(user, **{"5xx": 0})

    assert (progress.status_code, done.status_code) == (200, 200)
    assert seen_by_user.status_code == 503
    assert wait_for_state(user, job["id"], "done")["result"]["files"] == ["a.csv"]


def test_malformed_breaks_the_json_of_job_reads_only(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job_id = finished_job(user, engine)
    set_faults(user, malformed=1)

    read = user.get(f"/api/job_manager/{job_id}")
    listed = user.get("/api/job_manager")

    assert read.status_code == 200
    assert read.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(read.content)
    assert listed.json()["total"] >= 1


# ---- a slow create ----------------------------------------------------------


def test_a_slow_create_stores_and_sends_the_job_before_answering(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    before = {job["id"] for job in user.get("/api/job_manager").json()["data"]}
    set_faults(user, slow_create=5)

    with pytest.raises(httpx.ReadTimeout):
        user.post(
            "/api/job_manager",
            json={"script": "mileage", "engine": engine.url, "args": {"x": 1}},
            timeout=1,
        )
    jobs = user.get("/api/job_manager").json()["data"]
    new = [job for job in jobs if job["id"] not in before]

    assert [job["params"] for job in new] == [{"x": 1}]
    assert engine.job(user, new[0]["id"])["parameters"] == {"x": 1}


# ---- downloads: ranges, cuts ----------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "first", "last"),
    [
        ("bytes=1000-", 1000, len(FILE) - 1),
        ("bytes=10-19", 10, 19),
        ("bytes=-100", len(FILE) - 100, len(FILE) - 1),
        ("bytes=5-999999999", 5, len(FILE) - 1),
    ],
)
def test_a_range_is_answered_with_206_and_its_bytes(
    user: httpx.Client, engine: RecordingEngine, asked: str, first: int, last: int
) -> None:
    job_id = finished_job(user, engine)

    part = user.get(f"/api/job_manager/{job_id}/report.csv", headers={"Range": asked})

    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes {first}-{last}/{len(FILE)}"
    assert part.headers["accept-ranges"] == "bytes"
    assert part.content == FILE[first : last + 1]


def test_a_range_past_the_end_is_416(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job_id = finished_job(user, engine)

    answer = user.get(
        f"/api/job_manager/{job_id}/report.csv",
        headers={"Range": f"bytes={len(FILE)}-"},
    )

    assert answer.status_code == 416
    assert answer.headers["content-range"] == f"bytes */{len(FILE)}"


@pytest.mark.parametrize(
    "headers",
    [
        {"Range": "bytes=5-1"},
        {"Range": "bytes=0-1,5-9"},
        {"Range": "lines=1-"},
        {"Range": "bytes=1000-", "If-Range": '"another-version"'},
    ],
)
def test_a_range_that_cannot_be_used_gets_the_whole_file(
    user: httpx.Client, engine: RecordingEngine, headers: dict[str, str]
) -> None:
    job_id = finished_job(user, engine)

    answer = user.get(f"/api/job_manager/{job_id}/report.csv", headers=headers)

    assert answer.status_code == 200
    assert answer.content == FILE


def test_no_range_ignores_range(user: httpx.Client, engine: RecordingEngine) -> None:
    job_id = finished_job(user, engine)
    set_faults(user, no_range=True)

    answer = user.get(
        f"/api/job_manager/{job_id}/report.csv", headers={"Range": "bytes=1000-"}
    )

    assert answer.status_code == 200
    assert answer.headers["accept-ranges"] == "none"
    assert answer.content == FILE


def download_until_cut(client: httpx.Client, path: str) -> tuple[str, bytes]:
    """The announced length and the bytes received before the connection broke."""
    received = bytearray()

    def read_all(answer: httpx.Response) -> None:
        for chunk in answer.iter_raw():
            received.extend(chunk)

    with client.stream("GET", path) as answer:
        assert answer.status_code == 200
        announced = answer.headers["content-length"]
        with pytest.raises(httpx.RemoteProtocolError):
            read_all(answer)
    return announced, bytes(received)


def test_a_download_is_cut_once_then_resumed_with_range(
    sandbox: LocalServer, user: httpx.Client, engine: RecordingEngine
) -> None:
    job_id = finished_job(user, engine)
    path = f"/api/job_manager/{job_id}/report.csv"
    set_faults(user, drop_downloads=10_000)

    announced, received = download_until_cut(user, path)
    rest = user.get(path, headers={"Range": f"bytes={len(received)}-"})

    assert announced == str(len(FILE))
    assert len(received) == 10_000
    assert rest.status_code == 206
    assert sha256(received + rest.content) == sha256(FILE)
    # A cut made on purpose is not reported as the server's error.
    assert not [line for line in sandbox.last_lines(200) if "ERROR" in line]


def test_each_file_is_cut_once_and_a_new_setting_starts_over(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job_id = finished_job(user, engine)
    path = f"/api/job_manager/{job_id}/report.csv"
    set_faults(user, drop_downloads=500)

    download_until_cut(user, path)
    whole = user.get(path)
    set_faults(user, drop_downloads=500)
    _, again = download_until_cut(user, path)

    assert sha256(whole.content) == sha256(FILE)
    assert len(again) == 500


def test_a_range_shorter_than_the_cut_is_not_cut(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job_id = finished_job(user, engine)
    set_faults(user, drop_downloads=10_000)

    tail = user.get(
        f"/api/job_manager/{job_id}/report.csv", headers={"Range": "bytes=-100"}
    )

    assert tail.status_code == 206
    assert tail.content == FILE[-100:]


# ---- tokens that expire -------------------------------------------------------


def used_until_refused(client: httpx.Client) -> httpx.Response:
    """The first answer refused to a token used without a pause."""
    answers: list[httpx.Response] = []

    def refused() -> bool:
        answers.append(client.get("/api/user"))
        return answers[-1].status_code == 401

    wait_for(refused, "the token to expire")
    return answers[-1]


def test_a_token_ttl_ends_sessions_from_sign_in_however_used(
    user: httpx.Client, engine: RecordingEngine
) -> None:
    job = create_job(user, engine.url)
    job_token = engine.token(user, job["id"])
    set_faults(user, token_ttl=1.5)
    assert user.get("/api/user").status_code == 200

    # Used all the time, the session still ends 1.5 s after its sign-in.
    expired = used_until_refused(user)
    with sign_in(str(user.base_url)) as again:
        fresh = again.get("/api/user")
    with as_engine(user, job_token) as job_engine:
        engine_put = job_engine.put(
            f"/api/job_manager/{job['id']}",
            json={"state": "running", "progress": {"percentage": 1}},
        )

    assert expired.json()["message"] == "the session has expired; sign in again"
    assert fresh.status_code == 200
    # A job's token lives as long as its job is open.
    assert engine_put.status_code == 200


def test_a_token_ttl_of_0_removes_the_limit(user: httpx.Client) -> None:
    set_faults(user, token_ttl=600)

    answer = set_faults(user, token_ttl=0)

    assert answer["token_ttl"] is None


# ---- the command line -------------------------------------------------------


def test_the_token_ttl_flag_ends_sessions_from_sign_in(tmp_path: Path) -> None:
    server = start_sandbox(tmp_path / "ttl.sqlite3", "--token-ttl", "1.5")
    try:
        assert server.url is not None
        with sign_in(server.url) as client:
            expired = used_until_refused(client)
    finally:
        server.stop()

    assert expired.json()["message"] == "the session has expired; sign in again"


def test_the_flags_set_the_faults_at_start(tmp_path: Path) -> None:
    server = start_sandbox(
        tmp_path / "flags.sqlite3",
        *("--fault-latency", "0.5", "--fault-5xx", "0.25"),
        *("--fault-drop-downloads", "4096", "--fault-no-range"),
        *("--fault-malformed", "0.1", "--fault-slow-create", "2"),
        *("--token-ttl", "600", "--fault-seed", "3"),
    )
    try:
        assert server.url is not None
        with sign_in(server.url) as client:
            faults = client.get("/api/sandbox/faults").json()
    finally:
        server.stop()

    assert faults == {
        "latency": 0.5,
        "5xx": 0.25,
        "drop_downloads": 4096,
        "no_range": True,
        "malformed": 0.1,
        "slow_create": 2.0,
        "token_ttl": 600.0,
        "seed": 3,
    }


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--fault-5xx", "2", "--fault-5xx must be a share from 0 to 1"),
        ("--fault-malformed", "nan", "--fault-malformed must be a share from 0 to 1"),
        ("--fault-latency", "-1", "--fault-latency must be from 0 to 3600 seconds"),
        ("--fault-drop-downloads", "-5", "--fault-drop-downloads must be from 0"),
    ],
)
def test_a_bad_fault_flag_is_one_line_and_exit_2(
    tmp_path: Path, flag: str, value: str, message: str
) -> None:
    db = tmp_path / "x.sqlite3"
    command = app_command("sandbox", "--port", "0", "--db", str(db), flag, value)
    ended = subprocess.run(
        command, capture_output=True, text=True, timeout=60, check=False
    )

    assert ended.returncode == 2
    (line,) = ended.stderr.strip().splitlines()
    assert line.startswith("error: ")
    assert message in line
    assert not db.exists()


# ---- the embedded engine's files ---------------------------------------------


@pytest.mark.slow
def test_an_embedded_engines_file_is_cut_then_resumed_with_if_range(
    tmp_path: Path,
) -> None:
    cut = ("--fault-drop-downloads", "100")
    with (
        engine_and_sandbox(tmp_path, sandbox_args=cut) as url,
        sign_in(url) as client,
    ):
        job = run_idling(client)
        wait_for_state(client, job["id"], "done")
        path = f"/api/job_manager/{job['id']}/idling.json"

        announced, received = download_until_cut(client, path)
        whole = client.get(path)
        resumed = client.get(
            path,
            headers={
                "Range": f"bytes={len(received)}-",
                "If-Range": whole.headers["etag"],
            },
        )
        stale = client.get(
            path, headers={"Range": f"bytes={len(received)}-", "If-Range": '"old"'}
        )

    assert announced == whole.headers["content-length"]
    assert len(received) == 100
    assert resumed.status_code == 206
    assert sha256(received + resumed.content) == sha256(whole.content)
    assert stale.status_code == 200
    assert stale.content == whole.content
    assert json.loads(whole.content)["rows"] is not None
