"""The gateway client against faults the sandbox does not produce.

Each test starts a small starlette app on a loopback port, in the test's
own event loop, that misbehaves in one way: an HTML error page, a body
that is not JSON, a 401, a redirect, a closed port, a slow answer, a
download cut short. The client must turn each into one of the app's errors
with a message that names the call.
"""

import asyncio
import contextlib
import logging
import zlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from support.servers import closed_port, recording, serving

from app.errors import AuthError, GatewayError, NetworkError, UsageError
from app.gateway import Gateway, normalize_site_url
from app.retry import NO_RETRY, RetryPolicy

TOKEN = "0123456789abcdef" * 3 + "01234567"  # 56 hex characters, like a gateway's
# Retries as in the app, with waits and a deadline small enough for a test.
QUICK_RETRY = RetryPolicy(first_delay=0.01, max_delay=0.05, deadline=0.5)

Handler = Callable[[Request], Any]


@contextlib.asynccontextmanager
async def gateway_on(
    routes: dict[str, Handler], **options: Any
) -> AsyncIterator[Gateway]:
    """A Gateway client for routes served on loopback; closed at the end."""
    options.setdefault("retry", QUICK_RETRY)
    async with serving(routes) as url, Gateway(url, **options) as gateway:
        yield gateway


def visible_files(folder: Path) -> list[str]:
    """The names a person sees in folder: hidden files (".x") left out."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize(
    ("typed", "site"),
    [
        ("https://cloud.pegasusgateway.com", "https://cloud.pegasusgateway.com"),
        ("https://cloud.pegasusgateway.com/", "https://cloud.pegasusgateway.com"),
        ("https://cloud.pegasusgateway.com/api", "https://cloud.pegasusgateway.com"),
        ("HTTPS://Cloud.example/api/", "https://Cloud.example"),
        ("  http://127.0.0.1:8000/site/api?x=1 ", "http://127.0.0.1:8000/site"),
    ],
)
def test_the_site_url_is_accepted_with_or_without_api(typed: str, site: str) -> None:
    assert normalize_site_url(typed) == site


@pytest.mark.parametrize(
    "typed", ["127.0.0.1:8000", "cloud.pegasusgateway.com", "ftp://x.org", ""]
)
def test_a_site_url_without_http_is_refused_plainly(typed: str) -> None:
    with pytest.raises(UsageError, match="must be a full URL starting with https://"):
        normalize_site_url(typed)


@pytest.mark.asyncio
async def test_the_token_travels_in_the_header_and_nowhere_else(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[Request] = []

    async def login(request: Request) -> Response:
        body = await request.json()
        assert body == {"username": "ana", "password": "secret-pw"}
        return JSONResponse({"message": "ok", "auth": TOKEN})

    async def user(request: Request) -> Response:
        seen.append(request)
        return JSONResponse({"username": "ana", "prefs": {}})

    caplog.set_level(logging.DEBUG)
    async with gateway_on({"/api/login": login, "/api/user": user}) as gateway:
        await gateway.login("ana", "secret-pw")
        assert (await gateway.user())["username"] == "ana"
        assert gateway.token == TOKEN
        shown = repr(gateway)

    assert seen[0].headers["authenticate"] == TOKEN
    assert TOKEN not in str(seen[0].url)
    assert TOKEN not in shown
    assert "signed in" in shown
    assert TOKEN not in caplog.text
    assert "secret-pw" not in caplog.text
    assert "signed in to" in caplog.text
    assert "GET /api/user -> 200" in caplog.text


@pytest.mark.asyncio
async def test_a_refused_password_says_so() -> None:
    async def login(request: Request) -> Response:
        return JSONResponse({"message": "Invalid credentials"}, status_code=401)

    async with gateway_on({"/api/login": login}) as gateway:
        with pytest.raises(AuthError, match="refused the user name or password"):
            await gateway.login("ana", "wrong")
        assert gateway.token is None


@pytest.mark.asyncio
async def test_a_session_refused_later_asks_to_sign_in_again() -> None:
    answers = iter([200, 401])

    async def user(request: Request) -> Response:
        status = next(answers)
        return JSONResponse({"message": "Session expired"}, status_code=status)

    async with gateway_on({"/api/user": user}, token=TOKEN) as gateway:
        await gateway.user()  # the token worked once
        with pytest.raises(AuthError) as caught:
            await gateway.user()

    # Plain words, with the call named for support; no status code.
    assert str(caught.value) == (
        "the gateway no longer accepts your sign-in (GET /api/user); sign in again"
    )


@pytest.mark.asyncio
async def test_a_token_refused_on_its_first_call_is_named_as_the_token() -> None:
    async def user(request: Request) -> Response:
        return JSONResponse({"message": "Invalid token"}, status_code=401)

    async with gateway_on({"/api/user": user}) as gateway:
        gateway.token = TOKEN
        with pytest.raises(AuthError) as caught:
            await gateway.user()

    assert str(caught.value) == (
        "the gateway did not accept this token (GET /api/user); check the token, "
        "or sign in with a user name and password"
    )
    assert TOKEN not in str(caught.value)


@pytest.mark.asyncio
async def test_a_404_without_a_message_of_the_gateways_says_what_it_means() -> None:
    async def vehicles(request: Request) -> Response:
        return Response(status_code=404)

    async with gateway_on({"/api/vehicles": vehicles}, token=TOKEN) as gateway:
        with pytest.raises(GatewayError) as caught:
            await gateway.list_all("vehicles")

    assert str(caught.value) == (
        "GET /api/vehicles failed with HTTP 404; it does not exist on this "
        "gateway, or is hidden from this user"
    )


@pytest.mark.asyncio
async def test_an_html_error_page_is_reported_with_its_status_and_call() -> None:
    async def user(request: Request) -> Response:
        return HTMLResponse("<html><h1>502 Bad Gateway</h1></html>", status_code=502)

    async with gateway_on({"/api/user": user}, token=TOKEN) as gateway:
        with pytest.raises(GatewayError) as caught:
            await gateway.user()

    assert caught.value.status == 502
    assert caught.value.call == "GET /api/user"
    assert "GET /api/user failed with HTTP 502" in str(caught.value)
    assert "text/html instead of JSON" in str(caught.value)


@pytest.mark.asyncio
async def test_a_body_that_is_not_json_names_the_call_and_its_type() -> None:
    async def job(request: Request) -> Response:
        return HTMLResponse("<html>Sign in</html>")

    async with gateway_on({"/api/job_manager/5": job}, token=TOKEN) as gateway:
        with pytest.raises(GatewayError) as caught:
            await gateway.job(5)

    assert str(caught.value).startswith(
        "GET /api/job_manager/5 answered with something that is not JSON (text/html)"
    )


@pytest.mark.asyncio
async def test_json_of_the_wrong_shape_is_an_error_naming_the_call() -> None:
    async def user(request: Request) -> Response:
        return JSONResponse(["not", "a", "user"])

    async def engines(request: Request) -> Response:
        return JSONResponse({"engines": [1, 2]})

    routes = {"/api/user": user, "/api/job_manager/engines": engines}
    async with gateway_on(routes, token=TOKEN) as gateway:
        with pytest.raises(GatewayError, match="GET /api/user .*unexpected shape"):
            await gateway.user()
        with pytest.raises(GatewayError, match="job_manager/engines .*engine URLs"):
            await gateway.engines()


@pytest.mark.asyncio
async def test_the_gateways_own_message_is_kept_in_the_error() -> None:
    async def job(request: Request) -> Response:
        return JSONResponse({"message": "job 7 does not exist"}, status_code=404)

    async with gateway_on({"/api/job_manager/7": job}, token=TOKEN) as gateway:
        with pytest.raises(GatewayError) as caught:
            await gateway.job(7)

    assert caught.value.status == 404
    assert "HTTP 404: job 7 does not exist" in str(caught.value)


@pytest.mark.asyncio
async def test_a_redirect_is_not_followed_with_the_token() -> None:
    async def user(request: Request) -> Response:
        return RedirectResponse("https://elsewhere.invalid/api/user", status_code=301)

    async with gateway_on({"/api/user": user}, token=TOKEN) as gateway:
        with pytest.raises(GatewayError, match="redirected to https://elsewhere"):
            await gateway.user()


@pytest.mark.asyncio
async def test_a_closed_port_is_a_network_error_saying_connection_refused() -> None:
    url = f"http://127.0.0.1:{closed_port()}"

    async with Gateway(url) as gateway:
        with pytest.raises(NetworkError) as caught:
            await gateway.login("ana", "pw")

    assert str(caught.value).startswith(
        f"could not reach the gateway at {url}: connection refused"
    )


@pytest.mark.asyncio
async def test_a_gateway_that_does_not_answer_in_time_is_a_network_error() -> None:
    release = asyncio.Event()

    async def user(request: Request) -> Response:
        await release.wait()
        return JSONResponse({})

    async with gateway_on({"/api/user": user}, token=TOKEN, timeout=0.2) as gateway:
        with pytest.raises(NetworkError, match="did not answer GET /api/user"):
            await gateway.user()
        release.set()


@pytest.mark.asyncio
async def test_engines_are_read_from_a_bare_list_or_an_object() -> None:
    shapes = iter([["http://e1/", "http://e2"], {"engines": ["http://e3"]}])

    async def engines(request: Request) -> Response:
        return JSONResponse(next(shapes))

    async with gateway_on({"/api/job_manager/engines": engines}) as gateway:
        assert await gateway.engines() == ["http://e1/", "http://e2"]
        assert await gateway.engines() == ["http://e3"]


@pytest.mark.asyncio
async def test_the_manifest_is_fetched_raw_and_without_the_token() -> None:
    headers: list[Any] = []

    async def manifest(request: Request) -> Response:
        headers.append(request.headers)
        return PlainTextResponse('{"scripts": [,]}')

    async with gateway_on({"/engine/manifest": manifest}, token=TOKEN) as gateway:
        text = await gateway.manifest_text(gateway.site_url + "/engine/")

    assert text == '{"scripts": [,]}'
    assert "authenticate" not in headers[0]


@pytest.mark.asyncio
async def test_list_all_walks_every_page() -> None:
    items = [{"id": n} for n in range(1, 253)]
    asked: list[dict[str, str]] = []

    async def vehicles(request: Request) -> Response:
        asked.append(dict(request.query_params))
        size, page = int(request.query_params["set"]), int(request.query_params["page"])
        chunk = items[(page - 1) * size : page * size]
        pages = -(-len(items) // size)
        body = {"set": len(chunk), "total": 252, "page": page, "pages": pages}
        return JSONResponse({**body, "data": chunk})

    async with gateway_on({"/api/vehicles": vehicles}, token=TOKEN) as gateway:
        got = await gateway.list_all("vehicles", params={"select": "id"}, page_size=100)

    assert got == items
    assert [a["page"] for a in asked] == ["1", "2", "3"]
    assert all(a["select"] == "id" and a["set"] == "100" for a in asked)


@pytest.mark.asyncio
async def test_a_download_keeps_existing_files(tmp_path: Path) -> None:
    async def file(request: Request) -> Response:
        return PlainTextResponse("a,b\n1,2\n", media_type="text/csv")

    out = tmp_path / "out"
    out.mkdir()
    (out / "evil.csv").write_text("mine")
    progress: list[tuple[int, int | None]] = []

    routes = {"/api/job_manager/3/{name:path}": file}
    async with gateway_on(routes, token=TOKEN) as gateway:
        path = await gateway.download(
            3,
            "evil.csv",
            out,
            on_progress=lambda done, total: progress.append((done, total)),
        )

    assert path == out / "evil (2).csv"
    assert path.read_text() == "a,b\n1,2\n"
    assert (out / "evil.csv").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["evil (2).csv", "evil.csv"]
    assert progress[-1] == (8, 8)


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["..", ".", "", "../../evil.csv", "a/b.csv", "..\\x"])
async def test_a_result_file_named_like_a_path_is_refused(
    tmp_path: Path, name: str
) -> None:
    asked: list[str] = []

    async def anything(request: Request) -> Response:
        asked.append(request.url.path)
        return JSONResponse({"jobs": "the job list, not a file"})

    routes = {"/api/{rest:path}": anything}
    async with gateway_on(routes, token=TOKEN) as gateway:
        with pytest.raises(GatewayError) as caught:
            await gateway.download(5, name, tmp_path / "out")

    assert str(caught.value) == (
        f"job 5 lists a result file named {name!r}, which is not a plain file "
        "name; it was not downloaded"
    )
    assert asked == []
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.csv").exists()


@pytest.mark.asyncio
async def test_a_link_to_nowhere_named_like_the_file_is_left_alone(
    tmp_path: Path,
) -> None:
    async def file(request: Request) -> Response:
        return PlainTextResponse("a,b\n", media_type="text/csv")

    out = tmp_path / "out"
    out.mkdir()
    (out / "trips.csv").symlink_to(tmp_path / "nowhere.csv")

    async with gateway_on({"/api/job_manager/3/{name}": file}, token=TOKEN) as gateway:
        path = await gateway.download(3, "trips.csv", out)

    assert path == out / "trips (2).csv"
    assert path.read_text() == "a,b\n"
    assert (out / "trips.csv").is_symlink()
    assert not (tmp_path / "nowhere.csv").exists()


@pytest.mark.asyncio
async def test_a_download_always_cut_short_leaves_only_a_hidden_part(
    tmp_path: Path,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"x" * 100_000
        raise RuntimeError("the engine went away")

    async def file(request: Request) -> Response:
        return StreamingResponse(chunks(), media_type="text/csv")

    out = tmp_path / "out"
    async with gateway_on({"/api/job_manager/4/{name}": file}, token=TOKEN) as gateway:
        with pytest.raises(NetworkError, match="GET /api/job_manager/4/trips.csv"):
            await gateway.download(4, "trips.csv", out)

    # Nothing under the report's name; the bytes so far wait, hidden, for a
    # later try to resume them.
    assert visible_files(out) == []
    [part] = list(out.iterdir())
    assert part.name.startswith(".trips.csv.")
    assert part.name.endswith(".part")
    assert part.read_bytes() == b"x" * 100_000


@pytest.mark.asyncio
async def test_a_missing_file_is_a_gateway_error_and_writes_nothing(
    tmp_path: Path,
) -> None:
    async def file(request: Request) -> Response:
        return JSONResponse({"message": "no such file"}, status_code=404)

    out = tmp_path / "out"
    async with gateway_on({"/api/job_manager/4/{name}": file}, token=TOKEN) as gateway:
        with pytest.raises(GatewayError, match="HTTP 404: no such file"):
            await gateway.download(4, "trips.csv", out)

    assert list(out.iterdir()) == []


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Set HTTP_PROXY alone, whatever proxy settings the machine has."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return lambda url: monkeypatch.setenv("HTTP_PROXY", url)


@pytest.mark.asyncio
async def test_a_loopback_gateway_is_never_reached_through_a_proxy(
    proxy_env: Callable[[str], None],
) -> None:
    async def login(request: Request) -> Response:
        return JSONResponse({"auth": TOKEN})

    tokens: dict[str, str | None] = {}
    async with recording() as (proxy_url, through_proxy):
        proxy_env(proxy_url)
        async with serving({"/api/login": login}) as url:
            for host in ("127.0.0.1", "localhost", "[::1]"):
                async with Gateway(url.replace("127.0.0.1", host)) as gateway:
                    # Nothing listens on [::1] here: refused, but not proxied.
                    with contextlib.suppress(NetworkError):
                        await gateway.login("demo", "the-password")
                    tokens[host] = gateway.token

    assert tokens["127.0.0.1"] == TOKEN
    assert through_proxy == []


@pytest.mark.asyncio
async def test_a_remote_gateway_keeps_the_environments_proxy(
    proxy_env: Callable[[str], None],
) -> None:
    async with recording() as (proxy_url, through_proxy):
        proxy_env(proxy_url)
        # The .invalid name never resolves: only the proxy can be reached.
        async with Gateway("http://gateway.invalid", retry=NO_RETRY) as gateway:
            with pytest.raises(GatewayError, match="HTTP 502"):
                await gateway.user()

    assert len(through_proxy) == 1
    assert through_proxy[0].startswith(b"GET http://gateway.invalid/api/user ")


def trickle(data: bytes, pause: float) -> StreamingResponse:
    """An answer that sends data one byte at a time, pause seconds apart."""

    async def bytes_one_by_one() -> AsyncIterator[bytes]:
        for byte in data:
            yield bytes([byte])
            await asyncio.sleep(pause)

    return StreamingResponse(bytes_one_by_one(), media_type="application/json")


@pytest.mark.asyncio
async def test_a_gateway_that_trickles_its_answer_is_given_up_on() -> None:
    async def user(request: Request) -> Response:
        # Each byte comes well within the read timeout; the whole takes 12 s.
        return trickle(b'{"username": "' + b"a" * 100 + b'"}', 0.1)

    async with gateway_on({"/api/user": user}, token=TOKEN, timeout=0.5) as gateway:
        with pytest.raises(NetworkError) as caught:
            await gateway.user()

    assert str(caught.value).startswith(
        f"the gateway at {gateway.site_url} stopped answering GET /api/user: "
        "nothing usable came within 1 s"
    )


@pytest.mark.asyncio
async def test_a_download_that_trickles_is_given_up_on_and_shows_nothing(
    tmp_path: Path,
) -> None:
    async def file(request: Request) -> Response:
        return trickle(b"x" * 200, 0.05)

    out = tmp_path / "out"
    routes = {"/api/job_manager/4/{name}": file}
    async with gateway_on(routes, token=TOKEN, timeout=0.3) as gateway:
        with pytest.raises(
            NetworkError, match="stopped answering GET /api/job_manager/4/t.csv"
        ):
            await gateway.download(4, "t.csv", out)

    assert visible_files(out) == []


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("http://alice:S3cret@127.0.0.1:8000/api", "http://127.0.0.1:8000/api"),
        # Malformed: no scheme, one slash, a backslash, no port, a broken host.
        ("alice:S3cret@127.0.0.1:8000", "127.0.0.1:8000"),
        ("https:/alice:S3cret@gw.invalid", "https:/gw.invalid"),
        ("https:\\\\alice:S3cret@gw.invalid", "https:\\\\gw.invalid"),
        ("https://alice:S3cret@gw.invalid:abc", "https://gw.invalid:abc"),
        ("http://alice:S3cret@[::1", "http://[::1"),
        ("  https://alice:S3c@ret@gw.invalid/x", "https://gw.invalid/x"),
    ],
)
def test_a_password_in_the_site_url_is_refused_and_never_repeated(
    typed: str, shown: str
) -> None:
    with pytest.raises(UsageError) as caught:
        Gateway(typed)

    message = str(caught.value)
    assert "S3c" not in message
    assert "alice" not in message
    assert f"{shown!r}" in message
    assert message.endswith(
        "put the user name and password in their own fields, not in the address"
    )


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("http://127.0.0.1:abc", "the port must be a number from 1 to 65535"),
        ("http://127.0.0.1:99999", "the port must be a number from 1 to 65535"),
        ("http://127.0.0.1:0", "the port must be a number from 1 to 65535"),
        ("http://[::1", "an IPv6 address must be written whole, in brackets: [::1]"),
        ("http://127.0.0.1:34777 extra", "it contains a space"),
        ("http://127.0.0.1:34777/a b", "it contains a space"),
        ("http://127.0.0.1:34777\textra", "it contains a tab or a line break"),
    ],
)
def test_a_malformed_site_url_says_what_is_wrong(typed: str, problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        Gateway(typed)

    assert str(caught.value) == f"the gateway address {typed!r} is not valid: {problem}"


@pytest.mark.asyncio
async def test_an_answer_nested_too_deeply_is_a_gateway_error() -> None:
    async def user(request: Request) -> Response:
        return PlainTextResponse("[" * 100_000 + "]" * 100_000)

    async with gateway_on({"/api/user": user}, token=TOKEN) as gateway:
        with pytest.raises(GatewayError) as caught:
            await gateway.user()

    assert str(caught.value) == (
        "GET /api/user answered with JSON that cannot be used: it nests objects "
        "and lists more than 64 levels deep"
    )


def gzip_of(size: int) -> bytes:
    """A gzip body of JSON that unpacks to size bytes, mostly spaces."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(b'{"auth": "a", "pad": "')]
    block = b" " * (1024 * 1024)
    parts += [packer.compress(block) for _ in range(size // len(block))]
    parts += [packer.compress(b'"}'), packer.flush()]
    return b"".join(parts)


@pytest.mark.asyncio
async def test_an_answer_unpacking_past_the_limit_is_refused_naming_it() -> None:
    bomb = gzip_of(30 * 1024 * 1024)  # 30 MB once unpacked
    assert len(bomb) < 100_000

    async def login(request: Request) -> Response:
        return Response(
            bomb,
            headers={"content-encoding": "gzip", "content-type": "application/json"},
        )

    async with gateway_on({"/api/login": login}) as gateway:
        with pytest.raises(GatewayError) as caught:
            await gateway.login("ana", "pw")
        assert gateway.token is None

    assert str(caught.value) == (
        f"the gateway at {gateway.site_url} answered POST /api/login with more "
        "than 20 MB; that is too large to be used"
    )
    assert caught.value.call == "POST /api/login"


@pytest.mark.asyncio
async def test_an_answer_within_the_limit_is_read_whole() -> None:
    async def login(request: Request) -> Response:
        return Response(
            gzip_of(2 * 1024 * 1024),
            headers={"content-encoding": "gzip", "content-type": "application/json"},
        )

    async with gateway_on({"/api/login": login}) as gateway:
        await gateway.login("ana", "pw")
        assert gateway.token == "a"


@pytest.mark.asyncio
async def test_a_download_past_its_limit_is_stopped_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 100_000

    async def file(request: Request) -> Response:
        return StreamingResponse(chunks(), media_type="text/csv")

    out = tmp_path / "out"
    routes = {"/api/job_manager/4/{name}": file}
    async with gateway_on(routes, token=TOKEN, max_download_bytes=500_000) as gateway:
        with pytest.raises(GatewayError) as caught:
            await gateway.download(4, "trips.csv", out)

    assert str(caught.value) == (
        "GET /api/job_manager/4/trips.csv sent more than 500,000 bytes; the "
        "download was stopped, as no report file should be that large"
    )
    assert list(out.iterdir()) == []
