"""How the engine and the sandbox listen: start-up errors, sockets, Host.

app/serve.py runs both servers; these tests run the real commands.
"""

import asyncio
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.children import LocalServer, app_command
from app.serve import bind_loopback

SERVERS = ["engine", "sandbox"]


def run_server(name: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `python -m app <name> ...` to its end (it is expected to fail)."""
    place = ["--files", str(tmp_path / "files")] if name == "engine" else []
    if name == "sandbox":
        place = ["--db", str(tmp_path / "sandbox.sqlite3")]
    return subprocess.run(
        app_command(name, *place, *args),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def taken_port() -> Iterator[int]:
    sock = bind_loopback(0)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.mark.parametrize("name", SERVERS)
def test_a_taken_port_is_one_plain_line_and_exit_2(
    name: str, tmp_path: Path, taken_port: int
) -> None:
    done = run_server(name, tmp_path, "--port", str(taken_port))

    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: cannot listen on 127.0.0.1:{taken_port}: address already in use"
    )
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize("name", SERVERS)
@pytest.mark.parametrize("port", ["99999", "-1"])
def test_a_port_out_of_range_is_one_plain_line_and_exit_2(
    name: str, port: str, tmp_path: Path
) -> None:
    done = run_server(name, tmp_path, f"--port={port}")

    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: the port must be a number from 0 to 65535, not {port}"
    )
    assert "Traceback" not in done.stderr + done.stdout


def test_a_bad_allow_site_is_one_plain_line_and_exit_2(tmp_path: Path) -> None:
    done = run_server("engine", tmp_path, "--allow-site", "gateway.invalid")

    assert done.returncode == 2
    assert "--allow-site 'gateway.invalid' is not an http(s) URL" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.asyncio
async def test_accepted_connections_have_tcp_nodelay() -> None:
    # uvicorn accepts through asyncio exactly like this server does; asyncio
    # sets TCP_NODELAY on what it accepts only for a socket made as TCP.
    loop = asyncio.get_running_loop()
    nodelay: asyncio.Future[int] = loop.create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            nodelay.set_result(
                accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            )
            transport.close()

    listening = bind_loopback(0)
    server = await loop.create_server(Probe, sock=listening)
    async with server:
        _, writer = await asyncio.open_connection(*listening.getsockname())
        try:
            assert await asyncio.wait_for(nodelay, 10) != 0
        finally:
            writer.close()
            await writer.wait_closed()


@pytest.mark.parametrize("name", SERVERS)
def test_both_servers_answer_only_their_loopback_names(
    name: str, tmp_path: Path
) -> None:
    place = ["--files", str(tmp_path)] if name == "engine" else []
    if name == "sandbox":
        place = ["--db", str(tmp_path / "sandbox.sqlite3")]
    server = LocalServer(name, app_command(name, "--port", "0", *place))
    url = server.start()
    path = "/manifest" if name == "engine" else "/api"
    port = url.rsplit(":", 1)[1]
    try:
        answers = {
            host: httpx.get(url + path, headers={"Host": host}, timeout=10)
            for host in (f"127.0.0.1:{port}", f"localhost:{port}",
                         f"rebound.invalid:{port}")
        }  # fmt: skip
    finally:
        server.stop()

    assert answers[f"127.0.0.1:{port}"].status_code == 200
    assert answers[f"localhost:{port}"].status_code == 200
    refused = answers[f"rebound.invalid:{port}"]
    assert refused.status_code == 403
    assert refused.json()["message"] == (
        f"this server answers only requests addressed to 127.0.0.1:{port} "
        f"or localhost:{port}"
    )
