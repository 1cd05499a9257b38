"""A gateway that is not the demo: the sandbox and the engine as processes,
with a password of the test's own and the options a test asks for.

The window does not know it as its demo, so signing in to it is signing in
to a gateway: its token goes to the keyring, and a 401 asks the person.
"""

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.children import LocalServer, app_command
from app.local_stack import SANDBOX_PASSWORD_ENV

USER = "ana@fleet.test"


@dataclass
class OwnGateway:
    """A running sandbox and its engine, and how to sign in to it."""

    url: str
    password: str
    username: str = USER
    servers: list[LocalServer] = field(default_factory=list)

    def login(self) -> str:
        """A token of the test's own (not the window's)."""
        answer = httpx.post(
            f"{self.url}/api/login",
            json={"username": self.username, "password": self.password},
            timeout=30,
        )
        answer.raise_for_status()
        return str(answer.json()["auth"])

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """PUT /api/sandbox/faults, e.g. set_faults(token_ttl=0.5)."""
        answer = httpx.put(
            f"{self.url}/api/sandbox/faults",
            json=faults,
            headers={"Authenticate": self.login()},
            timeout=30,
        )
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result


@contextlib.contextmanager
def own_gateway(
    folder: Path, *, job_delay: float = 0, sandbox_args: tuple[str, ...] = ()
) -> Iterator[OwnGateway]:
    """Start the engine (jobs taking job_delay seconds), then the sandbox."""
    password = "pw-" + secrets.token_urlsafe(12)
    engine = LocalServer(
        "engine",
        app_command(
            "engine",
            "--port",
            "0",
            "--files",
            str(folder / "engine-files"),
            "--job-delay",
            str(job_delay),
            # Ends with the test process, even one that crashed.
            "--watch-stdin",
        ),
    )
    sandbox = LocalServer(
        "sandbox",
        app_command(
            "sandbox",
            "--port",
            "0",
            "--db",
            str(folder / "sandbox.sqlite3"),
            "--user",
            USER,
            "--watch-stdin",
            *sandbox_args,
        ),
        env={SANDBOX_PASSWORD_ENV: password},
    )
    try:
        engine_url = engine.start()
        sandbox.command += ["--engine", engine_url]
        url = sandbox.start()
        yield OwnGateway(url=url, password=password, servers=[engine, sandbox])
    finally:
        sandbox.stop()
        engine.stop()
