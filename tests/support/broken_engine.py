"""A small job-engine with faults chosen by flags, for check-engine's tests.

Run as `python tests/support/broken_engine.py --files DIR [faults]`. With
no fault it follows the protocol: one script, `count`, that writes a CSV
of `count` rows. Each flag breaks one thing:

--bad-manifest         a second script with spaces in its id and no title
--no-put               takes jobs and never reports on them
--foreign-put          reports progress on the next job id before its own
--traversal            serves any path under its files folder, `..` and all
--accept-bad-params    finishes a job as done whatever its parameters
--fail-bad-params      answers HTTP 500 to a job with bad parameters
--slow-post            answers POST /jobs after 6 seconds
--bad-state-put        sends a state the protocol does not know, "finished"
--die-on-bad-params    exits when sent a job with bad parameters

It prints `broken engine listening on URL` first, as app.serve does, so
app.children.LocalServer can start it. Loopback only; stdlib only.
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

SCRIPT = {
    "script": "count",
    "title": "Count",
    "desc": "A CSV of numbered rows",
    "category": "fleet_status",
    "schedule": False,
    "parameters_schema": {
        "type": "object",
        "properties": {"count": {"type": "integer", "minimum": 1, "maximum": 100}},
    },
}
BAD_SCRIPT = {"script": "bad script id", "schedule": "sometimes"}
FILE_NAME = "count.csv"
SLOW_POST = 6.0  # seconds: past check-engine's limit of 5
# Gateways are on loopback here: never through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def manifest(faults: argparse.Namespace) -> dict[str, Any]:
    scripts = [SCRIPT, BAD_SCRIPT] if faults.bad_manifest else [SCRIPT]
    return {"definitions": {}, "scripts": scripts}


def put(site_url: str, job_id: int, token: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{site_url}/api/job_manager/{job_id}",
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Content-Type": "application/json", "Authenticate": token},
    )
    try:
        with OPENER.open(request, timeout=10) as response:
            response.read()
    except OSError as exc:  # refused PUTs are the point of some faults
        print(f"PUT to job {job_id} failed: {exc}", flush=True)


def bad_count(parameters: dict[str, Any]) -> str | None:
    count = parameters.get("count", 3)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100:
        return f"count must be a whole number from 1 to 100, not {count!r}"
    return None


def run_job(order: dict[str, Any], root: Path, faults: argparse.Namespace) -> None:
    config, parameters = order["configuration"], order["parameters"]
    site_url, job_id, token = config["site_url"], config["job_id"], config["api_token"]
    if faults.foreign_put:
        put(site_url, job_id + 1, token, {"progress": {"percentage": 10}})
    put(site_url, job_id, token, {"state": "running", "progress": {"percentage": 50}})
    if faults.bad_state_put:
        put(site_url, job_id, token, {"state": "finished"})

    problem = None if faults.accept_bad_params else bad_count(parameters)
    if problem is not None:
        put(site_url, job_id, token, {"state": "error", "result": {"error": problem}})
        return
    count = parameters.get("count", 3)
    count = count if isinstance(count, int) else 3
    folder = root / str(config["site_id"]) / str(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{n}\n" for n in range(1, count + 1))
    (folder / FILE_NAME).write_text("n\n" + rows)
    result = {"files": [FILE_NAME], "summary": {}}
    body = {"state": "done", "progress": {"percentage": 100}, "result": result}
    put(site_url, job_id, token, body)


def make_handler(root: Path, faults: argparse.Namespace) -> type:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/manifest":
                self._send(200, json.dumps(manifest(faults)).encode())
            elif self.path.startswith("/jobs/"):
                self._send_file(self.path.removeprefix("/jobs/"))
            else:
                self._send(404, b'{"message": "no such path"}')

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            order = json.loads(self.rfile.read(length))
            if faults.slow_post:
                time.sleep(SLOW_POST)
            if faults.die_on_bad_params and bad_count(order["parameters"]):
                os._exit(3)
            if faults.fail_bad_params and bad_count(order["parameters"]):
                self._send(500, b'{"message": "the engine failed"}')
                return
            self._send(202, b'{"accepted": true}')
            if not faults.no_put:
                threading.Thread(
                    target=run_job, args=(order, root, faults), daemon=True
                ).start()

        def _send_file(self, rest: str) -> None:
            if faults.traversal:
                # The fault: the decoded path is joined without any check.
                target = os.path.join(root, unquote(rest).replace("\\", "/"))
                path = Path(os.path.normpath(target))
            else:
                parts = rest.split("/")
                names_ok = (
                    len(parts) == 3
                    and all(p.isdigit() for p in parts[:2])
                    and unquote(parts[2]) == FILE_NAME
                )
                path = root.joinpath(*parts[:2], FILE_NAME) if names_ok else root
            if path.is_file():
                self._send(200, path.read_bytes(), "text/csv")
            else:
                self._send(404, b'{"message": "no such file"}')

        def _send(
            self, status: int, body: bytes, kind: str = "application/json"
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            print(format % args, flush=True)

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=Path, required=True)
    for flag in (
        "--bad-manifest",
        "--no-put",
        "--foreign-put",
        "--traversal",
        "--accept-bad-params",
        "--fail-bad-params",
        "--slow-post",
        "--bad-state-put",
        "--die-on-bad-params",
    ):
        parser.add_argument(flag, action="store_true")
    faults = parser.parse_args()
    faults.files.mkdir(parents=True, exist_ok=True)

    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(faults.files, faults))
    print(f"broken engine listening on http://127.0.0.1:{server.server_port}")
    sys.stdout.flush()
    # Ends with its parent: LocalServer closes our stdin when it goes.
    threading.Thread(target=_end_on_eof, args=(server,), daemon=True).start()
    server.serve_forever()
    return 0


def _end_on_eof(server: ThreadingHTTPServer) -> None:
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
