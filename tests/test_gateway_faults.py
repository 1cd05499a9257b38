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
from support.servers import closed_port, serving

from app.errors import AuthError, GatewayError, NetworkError, UsageError
from app.gateway import Gateway, normalize_site_url

TOKEN = "0123456789abcdef" * 3 + "01234567"  # 56 hex characters, like a gateway's

Handler = Callable[[Request], Any]


@contextlib.asynccontextmanager
async def gateway_on(
    routes: dict[str, Handler], **options: Any
) -> AsyncIterator[Gateway]:
    """A Gateway client for routes served on loopback; closed at the end."""
    async with serving(routes) as url, Gateway(url, **options) as gateway:
        yield gateway


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
    async def user(request: Request) -> Response:
        return JSONResponse({"message": "Session expired"}, status_code=401)

    async with gateway_on({"/api/user": user}, token=TOKEN) as gateway:
        with pytest.raises(AuthError, match=r"no longer accepts.*sign in again"):
            await gateway.user()


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
async def test_a_download_keeps_existing_files_and_ignores_paths_in_the_name(
    tmp_path: Path,
) -> None:
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
            "../../evil.csv",
            out,
            on_progress=lambda done, total: progress.append((done, total)),
        )

    assert path == out / "evil (2).csv"
    assert path.read_text() == "a,b\n1,2\n"
    assert (out / "evil.csv").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["evil (2).csv", "evil.csv"]
    assert not (tmp_path / "evil.csv").exists()
    assert progress[-1] == (8, 8)


@pytest.mark.asyncio
async def test_a_download_cut_short_leaves_no_file_behind(tmp_path: Path) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"x" * 100_000
        raise RuntimeError("the engine went away")

    async def file(request: Request) -> Response:
        return StreamingResponse(chunks(), media_type="text/csv")

    out = tmp_path / "out"
    async with gateway_on({"/api/job_manager/4/{name}": file}, token=TOKEN) as gateway:
        with pytest.raises(NetworkError, match="GET /api/job_manager/4/trips.csv"):
            await gateway.download(4, "trips.csv", out)

    assert list(out.iterdir()) == []


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
