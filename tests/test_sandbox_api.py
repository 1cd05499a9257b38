"""The sandbox gateway's sign-in, tokens and collections, over real HTTP.

The sandbox runs as a child process (`python -m app sandbox`) on loopback,
exactly as the app starts it.
"""

import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from app.children import LocalServer, app_command
from app.errors import LocalServerError
from app.sandbox.store import Store

TOKEN_RE = re.compile(r"^[0-9a-f]{56}$")


def start_sandbox(db: Path, *extra: str) -> LocalServer:
    server = LocalServer(
        "sandbox", app_command("sandbox", "--port", "0", "--db", str(db), *extra)
    )
    server.start()
    return server


def sign_in(client: httpx.Client) -> str:
    response = client.post("/api/login", json={"username": "demo", "password": "demo"})
    assert response.status_code == 200, response.text
    token: str = response.json()["auth"]
    return token


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    server = start_sandbox(tmp_path_factory.mktemp("sandbox") / "sandbox.sqlite3")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(sandbox: LocalServer) -> Iterator[httpx.Client]:
    assert sandbox.url
    with httpx.Client(base_url=sandbox.url, trust_env=False, timeout=30) as client:
        yield client


@pytest.fixture
def authed(client: httpx.Client) -> httpx.Client:
    client.headers["Authenticate"] = sign_in(client)
    return client


def test_prints_its_url_then_the_demo_sign_in(sandbox: LocalServer) -> None:
    # The banner follows the ready line, which is all start() waits for.
    deadline = time.monotonic() + 20
    while not any("Sign in" in line for line in sandbox.last_lines(50)):
        assert time.monotonic() < deadline, "no sign-in line was printed"
        time.sleep(0.05)
    lines = sandbox.last_lines(50)
    ready = next(i for i, line in enumerate(lines) if "listening on" in line)

    assert lines[ready] == f"sandbox listening on {sandbox.url}"
    assert 'Sign in with user "demo" and password "demo"' in lines[ready + 1]
    assert sandbox.url is not None
    assert sandbox.url.startswith("http://127.0.0.1:")


def test_version_needs_no_token(client: httpx.Client) -> None:
    response = client.get("/api")

    assert response.status_code == 200
    info = response.json()
    assert {"domain", "name", "tag", "date", "pegasus_id", "live_url"} <= set(info)
    assert "sandbox" in info["name"]


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_login_gives_a_56_hex_token(client: httpx.Client, encoding: str) -> None:
    credentials = {"username": "demo", "password": "demo"}
    if encoding == "json":
        response = client.post("/api/login", json=credentials)
    else:
        response = client.post("/api/login", data=credentials)

    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "User successfully authenticated"
    assert body["app"] is None
    assert TOKEN_RE.match(body["auth"])


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_login_with_a_wrong_password_is_refused(
    client: httpx.Client, encoding: str
) -> None:
    credentials = {"username": "demo", "password": "not-the-password"}
    if encoding == "json":
        response = client.post("/api/login", json=credentials)
    else:
        response = client.post("/api/login", data=credentials)

    assert response.status_code == 401
    assert "password" in response.json()["message"]


def test_tokens_never_reach_the_output(
    sandbox: LocalServer, client: httpx.Client
) -> None:
    token = sign_in(client)
    client.get("/api/user", headers={"Authenticate": token})
    client.get("/api/vehicles", params={"auth": "f" * 56})

    output = "\n".join(sandbox.last_lines(200))
    assert token not in output
    assert "f" * 56 not in output


@pytest.mark.parametrize(
    ("headers", "params"),
    [({}, {}), ({"Authenticate": "0" * 56}, {}), ({}, {"auth": "not-a-token"})],
    ids=["missing", "wrong-header", "wrong-query"],
)
def test_calls_without_a_valid_token_get_401_json(
    client: httpx.Client, headers: dict[str, str], params: dict[str, str]
) -> None:
    response = client.get("/api/vehicles", headers=headers, params=params)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["message"]


def test_the_token_also_works_as_a_query_parameter(client: httpx.Client) -> None:
    token = sign_in(client)

    response = client.get("/api/user", params={"auth": token})

    assert response.status_code == 200
    assert response.json()["username"] == "demo"


def test_logout_ends_the_session(client: httpx.Client) -> None:
    token = sign_in(client)
    headers = {"Authenticate": token}

    assert client.get("/api/logout", headers=headers).status_code == 200
    assert client.get("/api/user", headers=headers).status_code == 401


def test_a_token_expires_after_its_ttl_without_use(tmp_path: Path) -> None:
    server = start_sandbox(tmp_path / "ttl.sqlite3", "--token-ttl", "1")
    try:
        assert server.url
        with httpx.Client(base_url=server.url, trust_env=False) as client:
            headers = {"Authenticate": sign_in(client)}
            assert client.get("/api/user", headers=headers).status_code == 200

            time.sleep(2.5)
            response = client.get("/api/user", headers=headers)
    finally:
        server.stop()

    assert response.status_code == 401
    assert "expired" in response.json()["message"]


def test_login_may_ask_for_a_session_length(client: httpx.Client) -> None:
    response = client.post(
        "/api/login", json={"username": "demo", "password": "demo", "expires": "x"}
    )

    assert response.status_code == 400
    assert "expires" in response.json()["message"]


def test_user_has_prefs_scopes_and_groups(authed: httpx.Client) -> None:
    user = authed.get("/api/user").json()

    assert user["id"] == 1
    assert user["username"] == "demo"
    assert user["is_staff"] is True
    assert user["groups"] == [1, 2, 3, 4]
    assert user["prefs"] == {
        "distanceunits": "km",
        "fuelunits": "liter",
        "language": "en",
        "date_format": "YYYY-MM-DD",
        "tz": "America/New_York",
    }
    assert user["scopes"]["rawdata"] in ("r", "w")


def test_pages_count_items_on_each_page(authed: httpx.Client) -> None:
    pages = [
        authed.get("/api/vehicles", params={"set": 7, "page": page}).json()
        for page in (1, 2, 3)
    ]

    assert [p["set"] for p in pages] == [7, 7, 6]
    assert all(p["pages"] == 3 and p["total"] == 20 for p in pages)
    assert [p["page"] for p in pages] == [1, 2, 3]
    ids = [v["id"] for p in pages for v in p["data"]]
    assert ids == list(range(1, 21))


def test_default_page_holds_everything(authed: httpx.Client) -> None:
    page = authed.get("/api/vehicles").json()

    assert (page["set"], page["page"], page["pages"], page["total"]) == (20, 1, 1, 20)


def test_a_page_past_the_end_is_empty(authed: httpx.Client) -> None:
    page = authed.get("/api/vehicles", params={"set": 7, "page": 4}).json()

    assert page["data"] == []
    assert page["set"] == 0
    assert page["pages"] == 3


@pytest.mark.parametrize(
    ("name", "value"), [("set", "0"), ("set", "1001"), ("page", "x")]
)
def test_bad_paging_is_a_400_naming_the_parameter(
    authed: httpx.Client, name: str, value: str
) -> None:
    response = authed.get("/api/vehicles", params={name: value})

    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{name}:")


def test_search_is_exact_and_case_sensitive(authed: httpx.Client) -> None:
    exact = authed.get("/api/vehicles", params={"search.name": "North Van 02"}).json()
    lower = authed.get("/api/vehicles", params={"search.name": "north van 02"}).json()
    plate = authed.get(
        "/api/vehicles", params={"search.info.license_plate": "GKM-7715"}
    ).json()

    assert [v["id"] for v in exact["data"]] == [2]
    assert lower["total"] == 0
    assert [v["id"] for v in plate["data"]] == [12]


def test_search_by_group_membership(authed: httpx.Client) -> None:
    page = authed.get("/api/vehicles", params={"search.groups": "[1,3]"}).json()

    assert page["total"] == 10
    assert {v["id"] for v in page["data"]} == {*range(1, 6), *range(11, 16)}


def test_ids_and_select(authed: httpx.Client) -> None:
    page = authed.get(
        "/api/vehicles", params={"ids": "3,17,999", "select": "id,name"}
    ).json()

    assert page["data"] == [
        {"id": 3, "name": "North Van 03"},
        {"id": 17, "name": "Service Pickup 02"},
    ]


def test_one_vehicle_and_one_group(authed: httpx.Client) -> None:
    vehicle = authed.get("/api/vehicles/11").json()
    group = authed.get("/api/groups/3").json()

    assert vehicle["name"] == "Freight Truck 01"
    assert vehicle["groups"] == [3]
    assert vehicle["device"] > 10**14
    assert vehicle["info"]["license_plate"] == "FHL-2048"
    assert group["name"] == "Airport Freight"
    assert group["vehicles"] == [11, 12, 13, 14, 15]


def test_one_user(authed: httpx.Client) -> None:
    ops = authed.get("/api/users/2").json()

    assert ops["username"] == "ops"
    assert ops["email"] == "ops@example.com"


@pytest.mark.parametrize(
    "path", ["/api/vehicles/999", "/api/groups/9", "/api/users/99", "/api/nowhere"]
)
def test_unknown_things_are_404_json(authed: httpx.Client, path: str) -> None:
    response = authed.get(path)

    assert response.status_code == 404
    assert response.json()["message"]


def test_the_other_collections(authed: httpx.Client) -> None:
    groups = authed.get("/api/groups").json()
    users = authed.get("/api/users").json()
    assets = authed.get("/api/assets").json()
    triggers = authed.get("/api/triggers").json()

    assert [g["name"] for g in groups["data"]] == [
        "North Depot",
        "South Depot",
        "Airport Freight",
        "Field Service",
    ]
    assert users["total"] >= 3
    assert any(u["email"] == "ops@example.com" for u in users["data"])
    assert assets["total"] >= 5
    assert triggers["total"] >= 3


def test_geofences_keep_id_and_name_under_properties(authed: httpx.Client) -> None:
    every = authed.get("/api/geofences").json()
    found = authed.get("/api/geofences", params={"search.name": "South Depot"}).json()
    by_id = authed.get("/api/geofences", params={"ids": "303"}).json()

    assert every["total"] == 4
    assert all(f["type"] == "Feature" for f in every["data"])
    assert [f["properties"]["id"] for f in found["data"]] == [302]
    assert [f["properties"]["name"] for f in by_id["data"]] == ["Airport Freight Yard"]


# ---- bad input is a 400 naming the parameter --------------------------------


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ('{"username": "demo", "password": "demo", "app": {"x": NaN}}', "app/x"),
        ('{"username": "demo", "password": "demo", "expires": Infinity}', "expires"),
        ('{"username": "demo", "password": "demo", "expires": true}', "expires"),
        ('{"username": "demo", "password": "demo", "app": ' + "[" * 5000, "nests"),
        ('{"username": "demo\\ud800", "password": "demo"}', "username: the text"),
        ('{"username": "demo", "password": "\\udc00demo"}', "password: the text"),
    ],
    ids=["nan", "infinity", "true", "deep", "surrogate-user", "surrogate-password"],
)
def test_a_login_body_json_cannot_carry_is_a_400(
    client: httpx.Client, body: str, word: str
) -> None:
    answer = client.post(
        "/api/login", content=body, headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 400
    assert word in answer.json()["message"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("search.groups", "[" * 5_000),
        ("search.groups", "[" * 70 + "1" + "]" * 70),
        ("search.groups", "[NaN]"),
        ("search.name", "[1e999]"),
        ("search.groups", "[1,"),
    ],
)
def test_a_bad_search_is_a_400_naming_it(
    authed: httpx.Client, name: str, value: str
) -> None:
    answer = authed.get("/api/vehicles", params={name: value})

    assert answer.status_code == 400
    assert answer.json()["message"].startswith(name)


def test_a_body_over_a_megabyte_is_a_413(authed: httpx.Client) -> None:
    answer = authed.post("/api/tasks", json={"name": "x" * 1_100_000})

    assert answer.status_code == 413
    assert "larger than" in answer.json()["message"]


# ---- the database file ---------------------------------------------------------


def test_a_second_sandbox_on_the_same_database_refuses_to_start(
    sandbox: LocalServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    db = Path(sandbox.command[sandbox.command.index("--db") + 1])

    done = subprocess.run(
        app_command("sandbox", "--port", "0", "--db", str(db)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: the database {db} is in use by another sandbox; stop that one "
        f"or choose another file with --db (pid {sandbox.pid})"
    )
    assert "Traceback" not in done.stderr
    assert sandbox.returncode is None  # the first one goes on


def refused_start(db: Path, *extra: str) -> str:
    """Start a sandbox that must refuse to start; its output."""
    server = LocalServer(
        "sandbox", app_command("sandbox", "--port", "0", "--db", str(db), *extra)
    )
    try:
        with pytest.raises(LocalServerError) as refused:
            server.start()
    finally:
        server.stop()
    assert server.returncode == 2
    output = str(refused.value)
    assert "Traceback" not in output
    return output


@pytest.mark.skipif(sys.platform == "win32", reason="links need privileges there")
@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_another_name_for_the_database_does_not_make_a_second_sandbox(
    sandbox: LocalServer, tmp_path: Path, link: str
) -> None:
    db = Path(sandbox.command[sandbox.command.index("--db") + 1])
    alias = tmp_path / "alias.sqlite3"
    if link == "symbolic":
        alias.symlink_to(db)
    else:
        os.link(db, alias)

    output = refused_start(alias)

    assert f"error: the database {alias} is in use by another sandbox" in output
    assert sandbox.returncode is None  # the first one goes on
    with httpx.Client(base_url=str(sandbox.url), trust_env=False) as client:
        assert client.get("/api").status_code == 200


@pytest.mark.skipif(sys.platform == "win32", reason="links need privileges there")
def test_a_link_in_place_of_the_lock_file_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    (tmp_path / "sandbox.sqlite3.lock").symlink_to(victim)

    output = refused_start(tmp_path / "sandbox.sqlite3")

    assert "is a symbolic link, which a sandbox never follows" in output
    assert victim.read_text() == "keep me"


def test_another_programs_database_is_refused_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "orders.sqlite3"
    with sqlite3.connect(db) as other:
        other.execute("CREATE TABLE orders (id INTEGER, total REAL)")
    before = db.read_bytes()

    done = subprocess.run(
        app_command("sandbox", "--port", "0", "--db", str(db)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {db} is not a sandbox database: it holds tables a sandbox does "
        "not make (orders); choose another file with --db"
    ]
    assert db.read_bytes() == before  # not a table added to it


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--engine", "http://[::1"], "an IPv6 address must be written whole"),
        (["--engine", "http://127.0.0.1:99999"], "the port must be a number"),
        (["--engine", "http://127.0.0.1:abc"], "the port must be a number"),
        (["--engine", "ftp://127.0.0.1/e"], "it is not an http(s) URL"),
        (["--token-ttl", "nan"], "--token-ttl must be a positive number"),
        (["--token-ttl", "inf"], "--token-ttl must be a positive number"),
        (["--token-ttl", "0"], "--token-ttl must be a positive number"),
        (["--job-stall", "nan"], "--job-stall must be a number of seconds above 0"),
        (["--engine-grace", "-1"], "--engine-grace must be a number of seconds"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    tmp_path: Path, option: list[str], expected: str
) -> None:
    done = subprocess.run(
        app_command("sandbox", "--port", "0", "--db", str(tmp_path / "s"), *option),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: ")
    assert expected in line
    assert not (tmp_path / "s").exists()


def damage_one_page(db: Path) -> None:
    """Overwrite the second page of an SQLite file with junk."""
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page : 2 * page] = b"\xa5" * page
    db.write_bytes(bytes(data))


def test_a_damaged_database_is_one_plain_line_and_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    store = Store(db)  # the sandbox's own file, written and closed cleanly
    store.setting("made_by", "test")
    store.close()
    damage_one_page(db)

    # As the app starts it: with the pipe it watches on standard input.
    process = subprocess.Popen(
        app_command("sandbox", "--port", "0", "--db", str(db), "--watch-stdin"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        output = process.stdout.read()  # stdin stays open: the app is alive
        assert process.wait(timeout=60) == 2
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()

    lines = output.decode().strip().splitlines()
    assert lines[-1].startswith(f"error: the database file {db} is damaged (")
    assert lines[-1].endswith("); move it away or choose another with --db")
    assert "Traceback" not in output.decode()
    assert "Fatal Python error" not in output.decode()


# ---- the password, out of sight ---------------------------------------------


def test_the_password_may_come_from_the_environment_out_of_sight(
    tmp_path: Path,
) -> None:
    secret = "Env-0nly-Pa55"
    server = LocalServer(
        "sandbox",
        app_command("sandbox", "--port", "0", "--db", str(tmp_path / "s.sqlite3")),
        env={"PEGASUS_SANDBOX_PASSWORD": secret},
    )
    server.start()
    try:
        command_line = psutil.Process(server.pid).cmdline()
        with httpx.Client(base_url=server.url or "", trust_env=False) as client:
            with_secret = client.post(
                "/api/login", json={"username": "demo", "password": secret}
            )
            with_demo = client.post(
                "/api/login", json={"username": "demo", "password": "demo"}
            )
        deadline = time.monotonic() + 20
        while not any("Sign in" in line for line in server.last_lines(50)):
            assert time.monotonic() < deadline, "no sign-in line was printed"
            time.sleep(0.05)
    finally:
        server.stop()

    assert with_secret.status_code == 200, with_secret.text
    assert with_demo.status_code == 401
    assert not any(secret in word for word in command_line)
    output = "\n".join(server.last_lines(50))
    assert secret not in output
    assert 'user "demo" and the password in PEGASUS_SANDBOX_PASSWORD' in output


def test_an_empty_password_in_the_environment_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        app_command("sandbox", "--port", "0", "--db", str(tmp_path / "s.sqlite3")),
        capture_output=True,
        text=True,
        env={**os.environ, "PEGASUS_SANDBOX_PASSWORD": ""},
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "error: PEGASUS_SANDBOX_PASSWORD is set but empty; give it a password"
    )


def test_help_says_where_the_password_may_come_from() -> None:
    done = subprocess.run(
        app_command("sandbox", "--help"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert "PEGASUS_SANDBOX_PASSWORD" in done.stdout
