"""Small loopback servers for faults the sandbox does not produce."""

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from app.serve import bind_loopback

Handler = Callable[[Request], Any]


@contextlib.asynccontextmanager
async def serving(routes: dict[str, Handler], port: int = 0) -> AsyncIterator[str]:
    """Serve routes on a loopback port (a free one by default); yield the URL."""
    app = Starlette(
        routes=[
            Route(path, handler, methods=["GET", "POST", "PUT"])
            for path, handler in routes.items()
        ]
    )
    sock = bind_loopback(port)
    config = uvicorn.Config(
        app, log_level="critical", lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.contextmanager
def serving_in_thread(routes: dict[str, Handler]) -> Iterator[str]:
    """serving(), on an event loop of its own in a thread; yield the URL.

    For the GUI tests, whose asyncio loop runs only while qtbot waits: a
    server there would stop answering between two waits.
    """
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    started: queue.Queue[str | BaseException] = queue.Queue()

    async def serve() -> None:
        try:
            async with serving(routes) as url:
                started.put(url)
                await stop.wait()
        except BaseException as exc:
            # The test waiting for the URL gets the failure instead.
            started.put(exc)
            raise

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),))
    thread.start()
    try:
        first = started.get(timeout=30)
        if isinstance(first, BaseException):
            raise first
        yield first
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()


@contextlib.asynccontextmanager
async def recording() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A loopback socket that notes what each connection sends, answers 502.

    Yields its URL and the list of what arrived, for checking that nothing
    (or the right thing) reached it: as a proxy, or as a host that must
    never be fetched from. It speaks just enough HTTP to end each request.
    """
    received: list[bytes] = []

    async def on_connect(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            received.append(await asyncio.wait_for(reader.read(65536), 10))
            writer.write(
                b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n"
                b"connection: close\r\n\r\n"
            )
            await writer.drain()
        finally:
            writer.close()

    sock = bind_loopback(0)
    server = await asyncio.start_server(on_connect, sock=sock)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", received
    finally:
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    """A loopback port that was free a moment ago and has nothing listening."""
    sock = bind_loopback(0)
    port: int = sock.getsockname()[1]
    sock.close()
    return port
