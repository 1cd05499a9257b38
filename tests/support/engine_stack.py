"""The embedded engine and the sandbox as processes, and a real job on them.

For tests that need the engine's real work and files behind the real
sandbox (the whole path a report takes), not a recording engine.
"""

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from app.children import LocalServer, app_command


@contextlib.contextmanager
def engine_and_sandbox(
    tmp_path: Path, *engine_args: str, sandbox_args: tuple[str, ...] = ()
) -> Iterator[str]:
    """An engine and a sandbox sending it jobs, each with its own arguments;
    the sandbox's URL. Both are stopped at the end."""
    with contextlib.ExitStack() as servers:
        files = str(tmp_path / "files")
        engine = LocalServer(
            "engine",
            app_command("engine", "--port", "0", "--files", files, *engine_args),
        )
        servers.callback(engine.stop)
        engine_url = engine.start()
        sandbox = LocalServer(
            "sandbox",
            app_command(
                "sandbox",
                *("--port", "0", "--db", str(tmp_path / "sandbox.sqlite3")),
                *("--engine", engine_url, *sandbox_args),
            ),
        )
        servers.callback(sandbox.stop)
        yield sandbox.start()


def run_idling(client: httpx.Client) -> dict[str, Any]:
    """Start Idling Usage for one vehicle over yesterday, on the only engine."""
    engine = client.get("/api/job_manager/engines").json()["engines"][0]
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    created = client.post(
        "/api/job_manager",
        json={
            "script": "idling",
            "engine": engine,
            "expires": 3600,
            "args": {
                "from": (today - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S"),
                "to": today.strftime("%Y-%m-%dT%H:%M:%S"),
                "tz": "UTC",
                "min_idle": 5,
                "vehicles": [1],
                "groups": [],
            },
        },
    )
    assert created.status_code == 201, created.text
    job: dict[str, Any] = created.json()
    return job
