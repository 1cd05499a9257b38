"""Runs an ASGI app on a loopback port, for the engine and the sandbox.

The socket is bound before the app is built, so that the app knows its own
URL (the sandbox gives it to engines as `site_url`) and port 0 can be used
to take any free port. The first line printed on stdout is always
`<name> listening on <url>`: the parent process reads the URL from it.
"""

import asyncio
import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

import uvicorn

from app.children import READY_MARK

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"

AsgiFactory = Callable[[str], Any]


def bind_loopback(port: int) -> socket.socket:
    """A listening TCP socket on 127.0.0.1; port 0 picks a free one."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if sys.platform != "win32":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, port))
    sock.listen(128)
    sock.set_inheritable(False)
    return sock


def serve(make_app: AsgiFactory, *, name: str, port: int, banner: str = "") -> None:
    """Bind, build the app for its URL, print the ready line, serve forever."""
    sock = bind_loopback(port)
    url = f"http://{LOOPBACK}:{sock.getsockname()[1]}"
    app = make_app(url)

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="auto",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)

    # The parent process reads this line from our stdout: not a log message.
    sys.stdout.write(f"{name} {READY_MARK} {url}\n")
    if banner:
        sys.stdout.write(banner + "\n")
    sys.stdout.flush()
    log.info("%s listening on %s", name, url)

    asyncio.run(server.serve(sockets=[sock]))
