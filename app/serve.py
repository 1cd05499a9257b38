"""Runs an ASGI app on a loopback port, for the engine and the sandbox.

The socket is bound before the app is built, so that the app knows its own
URL (the sandbox gives it to engines as `site_url`) and port 0 can be used
to take any free port. The first line printed on stdout is always
`<name> listening on <url>`: the parent process reads the URL from it.

Both servers answer only requests addressed to them by their loopback name
(`Host: 127.0.0.1:PORT` or `localhost:PORT`). A web page that points a name
of its own at 127.0.0.1 (DNS rebinding) sends its own name as the Host, and
gets a 403 instead of an answer it could read.

No proxy stands in front of them, so X-Forwarded-For and -Proto are not
believed: uvicorn's default would let any local program claim to be
another client (the sandbox's test clock answers loopback clients only).
"""

import asyncio
import logging
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn
from starlette.responses import JSONResponse

from app.children import READY_MARK
from app.errors import LocalServerError, UsageError

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
LOOPBACK_NAMES = (LOOPBACK, "localhost")
MAX_PORT = 65535

AsgiFactory = Callable[[str], Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def bind_loopback(port: int) -> socket.socket:
    """A listening TCP socket on 127.0.0.1; port 0 picks a free one.

    UsageError for a port out of range, LocalServerError when the port
    cannot be had (taken, or not allowed), each in plain words.
    """
    if not 0 <= port <= MAX_PORT:
        raise UsageError(f"the port must be a number from 0 to {MAX_PORT}, not {port}")

    # IPPROTO_TCP rather than 0: asyncio turns on TCP_NODELAY for accepted
    # connections only when the listening socket names TCP, and without it
    # each kept-alive answer waits for the client's delayed ACK (~40 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        raise LocalServerError(
            f"cannot listen on {LOOPBACK}:{port}: {reason.lower()}"
        ) from exc
    sock.set_inheritable(False)
    return sock


class LoopbackHostOnly:
    """ASGI middleware: answers only requests whose Host is our loopback name."""

    def __init__(self, app: Any, port: int) -> None:
        self.app = app
        self.port = port
        self.allowed = {f"{name}:{port}" for name in LOOPBACK_NAMES}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = _header(scope, b"host").lower()
            if host not in self.allowed:
                log.warning("refused a request addressed to host %r", host[:100])
                response = JSONResponse(
                    {
                        "message": "this server answers only requests addressed to "
                        f"{LOOPBACK}:{self.port} or localhost:{self.port}"
                    },
                    status_code=403,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def serve(make_app: AsgiFactory, *, name: str, port: int, banner: str = "") -> None:
    """Bind, build the app for its URL, print the ready line, serve forever."""
    sock = bind_loopback(port)
    bound_port = sock.getsockname()[1]
    url = f"http://{LOOPBACK}:{bound_port}"
    try:
        app = LoopbackHostOnly(make_app(url), bound_port)
    except BaseException:
        sock.close()
        raise

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="auto",
        timeout_graceful_shutdown=2,
        # The client is the socket's peer, whatever a header says.
        proxy_headers=False,
    )
    server = uvicorn.Server(config)

    # The parent process reads this line from our stdout: not a log message.
    sys.stdout.write(f"{name} {READY_MARK} {url}\n")
    if banner:
        sys.stdout.write(banner + "\n")
    sys.stdout.flush()
    log.info("%s listening on %s", name, url)

    asyncio.run(server.serve(sockets=[sock]))


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""
