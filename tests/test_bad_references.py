"""A `$ref` that is not an address at all is a problem of its script only.

`http://[::1` (an IPv6 address left open) made the URL parsing of the
reference raise, which broke the whole manifest: `preview` printed a
traceback and the catalog dropped the engine serving it. Now the script is
marked broken in plain words naming where the reference is, and the other
scripts of the manifest stay usable.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from support.servers import serving

from app.catalog import load_catalog
from app.gateway import Gateway
from app.manifest import load_manifest

BAD_REF = "http://[::1"
POINTER = "/scripts/0/parameters_schema/properties/x"


def manifest_with_a_bad_reference() -> dict[str, Any]:
    def script(name: str, properties: dict[str, Any]) -> dict[str, Any]:
        return {
            "script": name,
            "title": name.title(),
            "category": "fleet_status",
            "schedule": False,
            "parameters_schema": {"type": "object", "properties": properties},
        }

    return {
        "definitions": {},
        "scripts": [
            script("broken", {"x": {"$ref": BAD_REF}}),
            script("fine", {"y": {"type": "string"}}),
        ],
    }


def test_loading_marks_only_the_script_with_the_reference_broken() -> None:
    manifest = load_manifest(manifest_with_a_bad_reference(), source="test")

    broken, fine = manifest.scripts
    assert not broken.usable
    assert [str(p) for p in broken.problems] == [
        f"the reference {BAD_REF} points to nothing: there is no such "
        f"definition ({POINTER})"
    ]
    assert fine.usable
    assert manifest.problems == []


def test_preview_refuses_the_script_in_one_line_without_a_traceback(
    tmp_path: Path,
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest_with_a_bad_reference()), encoding="utf-8")
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    result = subprocess.run(
        [sys.executable, "-m", "app", "preview", str(path), "--script", "broken",
         "--png", str(tmp_path / "form.png")],
        capture_output=True, text=True, env=environ, timeout=120, check=False,
    )  # fmt: skip

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"error: the script 'broken' in '{path}' is broken: the reference "
        f"{BAD_REF} points to nothing: there is no such definition ({POINTER})"
    ]
    assert not (tmp_path / "form.png").exists()


@pytest.mark.asyncio
async def test_an_engine_serving_it_keeps_its_other_scripts_in_the_catalog() -> None:
    async def engines(request: Request) -> Response:
        return JSONResponse([str(request.base_url).rstrip("/") + "/engine"])

    async def manifest(request: Request) -> Response:
        return JSONResponse(manifest_with_a_bad_reference())

    routes = {"/api/job_manager/engines": engines, "/engine/manifest": manifest}
    async with serving(routes) as url, Gateway(url, token="t") as gateway:
        catalog = await load_catalog(gateway)

    assert [entry.error for entry in catalog.engines] == [None]
    assert catalog.errors == []
    usable = {script.script: script.usable for script in catalog.scripts}
    assert usable == {"broken": False, "fine": True}
