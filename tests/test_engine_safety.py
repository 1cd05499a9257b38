"""What the embedded engine refuses, and the files it keeps or removes.

Any program on the computer, and any web page through the browser, can
send requests to the engine's port. These tests send the requests such a
program would, to a real engine process, with the recording gateway of
tests/support/engine_gateway.py standing in for the gateways.
"""

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.engine_gateway import (
    PERIOD,
    SITE_ID,
    RecordingGateway,
    job_body,
    post_job,
    raw_get,
)

from app.children import LocalServer, app_command

JSON = {"Content-Type": "application/json"}


def run_one_good_job(engine: str, gateway: RecordingGateway) -> None:
    """A job that must end done: once it has, an earlier one would have begun."""
    job_id, _, answer = post_job(engine, gateway, "idling", {**PERIOD, "vehicles": [2]})
    assert answer.status_code == 202
    assert gateway.wait_for_end(job_id)["state"] == "done"


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


# ---- who may send a job, and which gateway it may name -----------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", None]
)
def test_a_job_not_sent_as_json_is_refused(
    engine: str, gateway: RecordingGateway, content_type: str | None
) -> None:
    # A web page may POST text/plain or a form to any site without asking.
    job_id, token, body = job_body(gateway, "idling", {**PERIOD, "vehicles": [2]})
    headers = {"Content-Type": content_type} if content_type else {}

    answer = httpx.post(
        f"{engine}/jobs", content=json.dumps(body), headers=headers, timeout=10
    )

    assert answer.status_code == 415
    assert "application/json" in answer.json()["message"]
    run_one_good_job(engine, gateway)
    assert gateway.requests_with(token) == []
    assert gateway.updates(job_id) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/manifest"),
        ("POST", "/jobs"),
        ("GET", f"/jobs/{SITE_ID}/1/idling.csv"),
    ],
)
@pytest.mark.parametrize(
    "host", ["gateway.invalid:{port}", "gateway.invalid", "127.0.0.1:1", "localhost"]
)
def test_a_request_addressed_to_another_host_is_refused(
    engine: str, gateway: RecordingGateway, method: str, path: str, host: str
) -> None:
    # What a page whose own name was pointed at 127.0.0.1 would send.
    _, token, body = job_body(gateway, "idling", {**PERIOD, "vehicles": [2]})
    headers = {"Host": host.format(port=port_of(engine))}

    answer = httpx.request(method, engine + path, json=body, headers=headers)

    assert answer.status_code == 403
    assert "127.0.0.1" in answer.json()["message"]
    if method == "POST":
        run_one_good_job(engine, gateway)
        assert gateway.requests_with(token) == []


def test_the_loopback_names_of_the_engine_are_answered(engine: str) -> None:
    port = port_of(engine)
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        answer = httpx.get(f"{engine}/manifest", headers={"Host": host}, timeout=10)
        assert answer.status_code == 200, host


def test_a_gateway_not_on_this_computer_is_never_called(
    engine: str, gateway: RecordingGateway
) -> None:
    # 0.0.0.0 is not a loopback address, but connecting to it reaches this
    # computer: the refusal, not the network, is what keeps the call away.
    elsewhere = f"http://0.0.0.0:{port_of(gateway.url)}"
    job_id, token, answer = post_job(
        engine, gateway, "idling", {**PERIOD, "vehicles": [2]}, site_url=elsewhere
    )

    assert answer.status_code == 403
    assert f"--allow-site {elsewhere}" in answer.json()["message"]
    run_one_good_job(engine, gateway)
    assert gateway.requests_with(token) == []
    assert gateway.updates(job_id) == []


def test_allow_site_lets_the_operator_name_another_gateway(
    gateway: RecordingGateway, tmp_path: Path
) -> None:
    elsewhere = f"http://0.0.0.0:{port_of(gateway.url)}"
    server = LocalServer(
        "engine",
        app_command(
            "engine", "--port", "0", "--files", str(tmp_path), "--allow-site", elsewhere
        ),
    )
    url = server.start()
    try:
        job_id, token, answer = post_job(
            url, gateway, "idling", {**PERIOD, "vehicles": [2]}, site_url=elsewhere
        )
        assert answer.status_code == 202
        assert gateway.wait_for_end(job_id)["state"] == "done"
    finally:
        server.stop()
    assert gateway.requests_with(token)


# ---- bodies that are too deep or too big ------------------------------------


@pytest.mark.parametrize(
    ("body", "word"),
    [(b"[" * 100_000, "nests"), (b'{"a": ' * 100 + b"1" + b"}" * 100, "nests")],
    ids=["unclosed", "closed"],
)
def test_a_deeply_nested_body_is_a_400(engine: str, body: bytes, word: str) -> None:
    answer = httpx.post(f"{engine}/jobs", content=body, headers=JSON, timeout=10)

    assert answer.status_code == 400
    assert word in answer.json()["message"]


def test_a_body_over_a_megabyte_is_a_413(engine: str) -> None:
    big = b'{"pad": "' + b"x" * 1_100_000 + b'"}'

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 64_000):
            yield big[start : start + 64_000]

    declared = httpx.post(f"{engine}/jobs", content=big, headers=JSON, timeout=10)
    streamed = httpx.post(f"{engine}/jobs", content=chunks(), headers=JSON, timeout=10)

    for answer in (declared, streamed):
        assert answer.status_code == 413
        assert "larger than" in answer.json()["message"]
    assert httpx.get(f"{engine}/manifest", timeout=10).status_code == 200


# ---- folders shared by two gateways, links, expiry ----------------------------


def test_a_job_from_another_gateway_with_the_same_ids_replaces_the_files(
    engine: str, gateway: RecordingGateway, engine_files: Path
) -> None:
    job_id, _, _ = post_job(engine, gateway, "idling", {**PERIOD, "vehicles": [2]})
    assert gateway.wait_for_end(job_id)["state"] == "done"
    assert raw_get(engine, f"/jobs/{SITE_ID}/{job_id}/idling.csv") == 200

    # Another gateway (another port) sends a job with the same ids; its
    # parameters are bad, so it writes no file of its own.
    other = RecordingGateway()
    other.start()
    try:
        post_job(engine, other, "idling", {"to": PERIOD["to"]}, job_id=job_id,
                 token="tok-other-site")  # fmt: skip
        assert other.wait_for_end(job_id)["state"] == "error"
    finally:
        other.stop()

    assert raw_get(engine, f"/jobs/{SITE_ID}/{job_id}/idling.csv") == 404
    folder = engine_files / str(SITE_ID) / str(job_id)
    site = json.loads((folder / ".job.json").read_text())["site"]
    assert site == other.url + "/api"


def test_another_spelling_of_the_same_gateway_keeps_the_files(
    engine: str, gateway: RecordingGateway
) -> None:
    job_id, _, _ = post_job(engine, gateway, "idling", {**PERIOD, "vehicles": [2]})
    assert gateway.wait_for_end(job_id)["state"] == "done"

    # The same gateway by its other loopback name, with /api and a slash.
    spelling = gateway.url.replace("127.0.0.1", "localhost") + "/api/"
    post_job(engine, gateway, "idling", {"to": PERIOD["to"]}, job_id=job_id,
             site_url=spelling, token="tok-same-site")  # fmt: skip

    assert gateway.wait_for_end(job_id, nth=2)["state"] == "error"
    assert raw_get(engine, f"/jobs/{SITE_ID}/{job_id}/idling.csv") == 200


def test_files_behind_links_are_not_served_nor_deleted(
    engine: str, gateway: RecordingGateway, engine_files: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    (outside / "5").mkdir(parents=True)
    (outside / "5" / "idling.csv").write_text("someone else's file")
    (outside / "901").mkdir()
    (outside / "901" / "idling.csv").write_text("someone else's file")
    (engine_files / str(SITE_ID)).mkdir(exist_ok=True)
    (engine_files / str(SITE_ID) / "901").symlink_to(outside / "901")
    (engine_files / "77").symlink_to(outside)

    assert raw_get(engine, f"/jobs/{SITE_ID}/901/idling.csv") == 404
    assert raw_get(engine, "/jobs/77/5/idling.csv") == 404

    # A job with those ids gets a real folder inside the files folder.
    for site_id, job_id in ((SITE_ID, 901), (77, 5)):
        post_job(engine, gateway, "idling", {**PERIOD, "vehicles": [2]},
                 site_id=site_id, job_id=job_id)  # fmt: skip
        assert gateway.wait_for_end(job_id)["state"] == "done"
        assert raw_get(engine, f"/jobs/{site_id}/{job_id}/idling.csv") == 200
    assert (outside / "5" / "idling.csv").read_text() == "someone else's file"
    assert (outside / "901" / "idling.csv").read_text() == "someone else's file"
    assert not (engine_files / "77").is_symlink()


def test_expired_job_folders_are_removed_when_the_engine_starts(
    tmp_path: Path,
) -> None:
    files = tmp_path / "files"
    now = time.time()
    ages = {"1": now - 2 * 86400, "2": now - 60, "3": None, "4": None}
    for job_id, created_at in ages.items():
        folder = files / "41" / job_id
        folder.mkdir(parents=True)
        (folder / "idling.csv").write_text("vid\n1\n")
        if created_at is not None:
            record = {"site": "http://127.0.0.1:1/api", "created_at": created_at,
                      "expires": 86400}  # fmt: skip
            (folder / ".job.json").write_text(json.dumps(record))
    # A folder from before records: judged by when it last changed.
    os.utime(files / "41" / "3", (now - 8 * 86400, now - 8 * 86400))

    server = LocalServer(
        "engine", app_command("engine", "--port", "0", "--files", str(files))
    )
    url = server.start()
    try:
        deadline = time.monotonic() + 30
        while (files / "41" / "1").exists() or (files / "41" / "3").exists():
            assert time.monotonic() < deadline, "expired folders are still there"
            time.sleep(0.05)
        kept = [raw_get(url, f"/jobs/41/{job_id}/idling.csv") for job_id in "1234"]
    finally:
        server.stop()

    assert kept == [404, 200, 404, 200]
