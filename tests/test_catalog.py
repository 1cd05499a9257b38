"""The catalog: every engine's manifest, fetched together, failures kept apart."""

import logging
import threading

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from support.servers import closed_port, serving

from app.catalog import load_catalog
from app.gateway import Gateway
from app.local_stack import DemoStack
from app.manifest import CATEGORIES


@pytest.mark.asyncio
async def test_the_demo_catalog_lists_the_engines_scripts_by_category(
    demo_stack: DemoStack,
) -> None:
    async with Gateway(demo_stack.gateway_url) as gateway:
        await gateway.login(demo_stack.username, demo_stack.password)
        catalog = await load_catalog(gateway)

    assert [(e.url, e.error) for e in catalog.engines] == [
        (demo_stack.engine_url, None)
    ]
    names = {script.script for script in catalog.scripts}
    assert {"idling", "trips"} <= names
    assert all(s.engine_url == demo_stack.engine_url for s in catalog.scripts)
    assert all(s.usable for s in catalog.scripts)

    grouped = catalog.groups()
    labels = [label for label, _ in grouped]
    assert set(labels) <= {*CATEGORIES.values(), "Other"}
    assert sum(len(scripts) for _, scripts in grouped) == len(catalog.scripts)


@pytest.mark.asyncio
async def test_find_matches_an_engine_however_its_url_is_spelled(
    demo_stack: DemoStack,
) -> None:
    async with Gateway(demo_stack.gateway_url) as gateway:
        await gateway.login(demo_stack.username, demo_stack.password)
        catalog = await load_catalog(gateway)

    other_spelling = demo_stack.engine_url.replace("http://", "https://") + "/"
    trips = catalog.find("trips", other_spelling)
    assert trips is not None
    assert trips.script == "trips"
    assert catalog.find("trips", "http://127.0.0.1:1/elsewhere") is None
    assert catalog.find("no_such_script") is None


@pytest.mark.asyncio
async def test_an_engine_that_fails_leaves_the_others_loaded(
    demo_stack: DemoStack,
) -> None:
    dead_engine = f"http://127.0.0.1:{closed_port()}/engine"

    async def broken_manifest(request: Request) -> Response:
        return PlainTextResponse('{"scripts": [\n  {"script": "x",}\n]}')

    async def engines(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {"engines": [dead_engine, demo_stack.engine_url, base + "/broken"]}
        )

    routes = {"/api/job_manager/engines": engines, "/broken/manifest": broken_manifest}
    async with serving(routes) as url, Gateway(url, token="t") as gateway:
        catalog = await load_catalog(gateway)

    dead, demo, broken = catalog.engines
    assert dead.manifest is None
    assert dead.error is not None
    assert "could not reach the engine at" in dead.error
    assert "connection refused" in dead.error

    assert demo.error is None
    assert {"idling", "trips"} <= {s.script for s in catalog.scripts}

    assert broken.error is not None
    assert "line 2, column" in broken.error
    assert len(catalog.errors) == 2


@pytest.mark.asyncio
async def test_hostile_engines_leave_the_others_loaded(demo_stack: DemoStack) -> None:
    deep: dict = {"type": "object"}
    for _ in range(300):
        deep = {"properties": {"a": deep}}
    deep_manifest = {
        "scripts": [{"script": "d", "title": "D", "parameters_schema": deep}]
    }

    async def deep_engine(request: Request) -> Response:
        return JSONResponse(deep_manifest)

    bad_addresses = [
        "http://[::1",
        "http://127.0.0.1:99999/e",
        "http://127.0.0.1:abc/e",
    ]

    async def engines(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return JSONResponse([base + "/deep", demo_stack.engine_url, *bad_addresses])

    routes = {"/api/job_manager/engines": engines, "/deep/manifest": deep_engine}
    async with serving(routes) as url, Gateway(url, token="t") as gateway:
        catalog = await load_catalog(gateway)

    deep_entry, demo, *bad = catalog.engines
    assert deep_entry.error is not None
    assert "nests objects and lists more than 64 levels deep" in deep_entry.error
    assert demo.error is None
    assert {"idling", "trips"} <= {s.script for s in catalog.scripts}
    for entry, address in zip(bad, bad_addresses, strict=True):
        assert entry.error is not None
        assert entry.error.startswith(f"the engine address {address!r} is not valid")
    assert len(catalog.errors) == 4


@pytest.mark.asyncio
async def test_manifests_are_loaded_off_the_event_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Loading a manifest can take up to a second: the window's loop must not
    # wait on it.
    manifest = {"scripts": [{"script": "x", "title": "X"}]}

    async def engine_manifest(request: Request) -> Response:
        return JSONResponse(manifest)

    async def engines(request: Request) -> Response:
        return JSONResponse([str(request.base_url).rstrip("/") + "/engine"])

    caplog.set_level(logging.DEBUG, logger="app.manifest")
    routes = {"/api/job_manager/engines": engines, "/engine/manifest": engine_manifest}
    async with serving(routes) as url, Gateway(url, token="t") as gateway:
        catalog = await load_catalog(gateway)

    assert [s.script for s in catalog.scripts] == ["x"]
    (loaded,) = [r for r in caplog.records if r.getMessage().startswith("manifest ")]
    assert loaded.thread != threading.get_ident()
