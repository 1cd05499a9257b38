"""The gateway client against the real sandbox gateway, as a process."""

from pathlib import Path

import httpx
import pytest

from app.errors import AuthError, GatewayError, UsageError
from app.gateway import Gateway
from app.local_stack import DemoStack


async def signed_in(stack: DemoStack) -> Gateway:
    gateway = Gateway(stack.gateway_url)
    await gateway.login(stack.username, stack.password)
    return gateway


@pytest.mark.asyncio
async def test_sign_in_then_read_the_user_and_the_engines(
    demo_stack: DemoStack,
) -> None:
    async with await signed_in(demo_stack) as gateway:
        user = await gateway.user()
        engines = await gateway.engines()

    assert gateway.token
    assert user["username"] == demo_stack.username
    assert isinstance(user.get("prefs"), dict)
    assert engines == [demo_stack.engine_url]


@pytest.mark.asyncio
async def test_the_site_url_may_be_typed_with_api_and_a_slash(
    demo_stack: DemoStack,
) -> None:
    async with Gateway(demo_stack.gateway_url + "/api/") as gateway:
        await gateway.login(demo_stack.username, demo_stack.password)
        user = await gateway.user()

    assert gateway.site_url == demo_stack.gateway_url
    assert user["username"] == demo_stack.username


@pytest.mark.asyncio
async def test_a_wrong_password_is_refused(demo_stack: DemoStack) -> None:
    async with Gateway(demo_stack.gateway_url) as gateway:
        with pytest.raises(AuthError, match="refused the user name or password"):
            await gateway.login(demo_stack.username, "not the password")


@pytest.mark.asyncio
async def test_a_token_the_gateway_never_issued_is_refused(
    demo_stack: DemoStack,
) -> None:
    async with Gateway(demo_stack.gateway_url, token="f" * 56) as gateway:
        with pytest.raises(AuthError) as caught:
            await gateway.user()

    assert str(caught.value) == (
        "the gateway did not accept this token (GET /api/user); check the token, "
        "or sign in with a user name and password"
    )


@pytest.mark.asyncio
async def test_a_site_address_with_a_path_too_many_is_named_once(
    demo_stack: DemoStack,
) -> None:
    async with Gateway(demo_stack.gateway_url + "/api/v1") as gateway:
        with pytest.raises(GatewayError) as caught:
            await gateway.login(demo_stack.username, demo_stack.password)

    assert str(caught.value) == (
        "POST /api/v1/api/login failed with HTTP 404: there is no /api/v1/api/login "
        "on this gateway; check the gateway address: its site is probably "
        f"{demo_stack.gateway_url}, without /api/v1"
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("page_size", [1, 7, 1000])
async def test_list_all_gives_the_whole_fleet_whatever_the_page_size(
    demo_stack: DemoStack, page_size: int
) -> None:
    async with await signed_in(demo_stack) as gateway:
        everything = await gateway.list_all("vehicles", page_size=page_size)
        headers = {"Authenticate": gateway.token or ""}
        async with httpx.AsyncClient(headers=headers, trust_env=False) as client:
            answer = await client.get(gateway.api_url + "/vehicles?set=7")
        first_page = answer.json()

    ids = [vehicle["id"] for vehicle in everything]
    assert len(ids) == first_page["total"]
    assert first_page["pages"] > 1
    assert len(ids) == len(set(ids))
    assert len(ids) > 7


@pytest.mark.asyncio
async def test_list_all_passes_filters_through(demo_stack: DemoStack) -> None:
    async with await signed_in(demo_stack) as gateway:
        groups = await gateway.list_all("groups")
        first = groups[0]["id"]
        in_first = await gateway.list_all(
            "vehicles", params={"search.groups": f"[{first}]"}, page_size=2
        )
        everything = await gateway.list_all("vehicles")

    assert in_first
    assert len(in_first) < len(everything)
    assert all(first in vehicle["groups"] for vehicle in in_first)


@pytest.mark.asyncio
async def test_an_unknown_job_is_a_404_naming_the_call(demo_stack: DemoStack) -> None:
    async with await signed_in(demo_stack) as gateway:
        with pytest.raises(GatewayError) as caught:
            await gateway.job(987654)

    assert caught.value.status == 404
    assert "GET /api/job_manager/987654" in str(caught.value)


@pytest.mark.asyncio
async def test_a_file_the_job_does_not_have_is_refused_and_nothing_written(
    demo_stack: DemoStack, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    async with await signed_in(demo_stack) as gateway:
        with pytest.raises(GatewayError):
            await gateway.download(987654, "trips.csv", out)

    assert list(out.iterdir()) == []


def test_a_gateway_address_without_a_scheme_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="must be a full URL"):
        Gateway("127.0.0.1:8000")
