"""`python -m app check-engine URL`: does an engine follow the protocol?

A private sandbox gateway (a child process with its own temporary
database, listing only that engine) runs one job of a script, then one
whose arguments break the schema, and reads what the engine did from the
sandbox's record of it (app/sandbox/engine_log.py). Each check prints one
line, passed or failed, with its evidence. Exit 0 when all pass, 1 when
one fails, 2 for bad arguments or an engine that cannot be reached.
"""

import argparse
import http.client
import json
import logging
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from app.addresses import url_problem
from app.children import LocalServer, app_command
from app.conformance_probes import broken_args, outside_probes, raw_get
from app.errors import LocalServerError, UsageError
from app.lint import lint_manifest
from app.manifest import Manifest, Script, load_manifest
from app.plurals import counted
from app.validation import field_errors

log = logging.getLogger(__name__)

DISPATCH_LIMIT = 5.0  # seconds an engine may take to answer POST /jobs
DISPATCH_WAIT = 20.0  # the sandbox gives up on a POST after 15 s
POLL_EVERY = 0.2
SETTLE = 0.5  # seconds to wait for late PUTs once a job is closed
SANDBOX_USER = "check"
# app/sandbox/cli.py's PASSWORD_ENV (not imported: it loads the web stack).
SANDBOX_PASSWORD_ENV = "PEGASUS_SANDBOX_PASSWORD"
CLOSED = ("done", "error")


@dataclass(frozen=True)
class Check:
    """One check's outcome and what shows it."""

    name: str
    passed: bool
    evidence: str

    def line(self) -> str:
        return f"{'passed' if self.passed else 'FAILED'}  {self.name}: {self.evidence}"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", metavar="URL", help="the engine's base URL")
    parser.add_argument(
        "--script", help="the script to run (default: the first that needs no args)"
    )
    parser.add_argument(
        "--args", metavar="JSON", help="the script's arguments, a JSON object"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long each job may take to end (default: 60)",
    )


def main(args: argparse.Namespace) -> int:
    engine = _checked_url(args.url)
    job_args = _parsed_args(args.args)
    if not 0 < args.timeout <= 3600:
        raise UsageError("--timeout must be a number of seconds above 0, at most 3600")

    # Each line as soon as its check is done: the jobs take a while.
    checks = []
    for check in check_engine(engine, args.script, job_args, args.timeout):
        checks.append(check)
        sys.stdout.write(check.line() + "\n")
        sys.stdout.flush()
    failed = [c.name for c in checks if not c.passed]
    sys.stdout.write(f"{len(checks) - len(failed)} of {len(checks)} checks passed\n")
    return 1 if failed else 0


def check_engine(
    engine: str, script_name: str | None, job_args: dict[str, Any] | None, wait: float
) -> Iterator[Check]:
    """Every check, in order; UsageError if the engine cannot be reached."""
    with httpx.Client(trust_env=False, timeout=10.0) as client:
        manifest, manifest_check = _manifest_checks(client, engine)
        script, run_args = _chosen(manifest, script_name, job_args)
        yield manifest_check
        with tempfile.TemporaryDirectory(prefix="pegasus-check-") as folder:
            sandbox = PrivateSandbox(Path(folder), engine)
            try:
                sandbox.start(client)
                checks = JobChecks(client, sandbox, engine, wait)
                yield from checks.run(manifest, script, run_args)
            finally:
                sandbox.stop()


def _checked_url(text: str) -> str:
    problem = url_problem(text)
    if problem is None and urlsplit(text).scheme not in ("http", "https"):
        problem = "it is not an http(s) URL"
    if problem is not None:
        raise UsageError(f"the engine URL {text!r} cannot be used: {problem}")
    return text.rstrip("/")


def _parsed_args(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--args is not JSON: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise UsageError("--args must be a JSON object")
    return value


def _manifest_checks(client: httpx.Client, engine: str) -> tuple[Manifest, Check]:
    url = f"{engine}/manifest"
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise UsageError(f"the engine at {engine} cannot be reached: {exc}") from exc
    if not response.is_success:
        manifest = Manifest(source=url)
        return manifest, Check(
            "manifest", False, f"GET {url} answered HTTP {response.status_code}"
        )

    manifest = load_manifest(response.content, source=url, engine_url=engine)
    report = lint_manifest(response.content, source=url)
    errors = [p for p in report.problems if p.severity == "error"]
    warnings = report.warnings
    if errors:
        shown = "; ".join(str(p) for p in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        return manifest, Check(
            "manifest", False, f"{counted(len(errors), 'error')}: {shown}{more}"
        )
    return manifest, Check(
        "manifest",
        True,
        f"{counted(len(manifest.scripts), 'script')}, no errors, "
        f"{counted(warnings, 'warning')}",
    )


def _chosen(
    manifest: Manifest, name: str | None, given: dict[str, Any] | None
) -> tuple[Script | None, dict[str, Any]]:
    """The script to run and its args; None when the manifest offers none."""
    args = given if given is not None else {}
    if name is not None:
        script = manifest.script(name)
        if script is None:
            raise UsageError(
                f"--script {name}: the engine's manifest has no such script"
            )
        errors = field_errors(script.validation_schema or script.schema, args)
        if errors:
            listed = "; ".join(f"{k or 'args'}: {v}" for k, v in errors.items())
            raise UsageError(f"--args do not fit {name}'s schema: {listed}")
        return script, args

    for script in manifest.scripts:
        schema = script.validation_schema or script.schema
        if script.usable and not field_errors(schema, args):
            return script, args
    if given is not None:
        raise UsageError("no script of the engine accepts these --args; give --script")
    return None, args


class PrivateSandbox:
    """A sandbox gateway child of our own, listing only the engine checked."""

    def __init__(self, folder: Path, engine: str) -> None:
        self.password = secrets.token_hex(16)
        self.server = LocalServer(
            "check sandbox",
            app_command(
                "sandbox",
                "--port",
                "0",
                "--db",
                str(folder / "sandbox.sqlite3"),
                "--user",
                SANDBOX_USER,
                "--engine",
                engine,
                "--watch-stdin",
            ),
            env={SANDBOX_PASSWORD_ENV: self.password},
        )
        self.url = ""
        self.token = ""
        self.site_id = 0

    def start(self, client: httpx.Client) -> None:
        self.url = self.server.start().rstrip("/")
        login = {"username": SANDBOX_USER, "password": self.password}
        self.token = self.call(client, "POST", "/api/login", json=login)["auth"]
        self.site_id = int(self.call(client, "GET", "/api")["pegasus_id"])

    def stop(self) -> None:
        self.server.stop()

    def call(self, client: httpx.Client, method: str, path: str, **kw: Any) -> Any:
        """The JSON answer of the private sandbox; LocalServerError if none."""
        try:
            response = client.request(
                method, f"{self.url}{path}", headers={"Authenticate": self.token}, **kw
            )
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            # Our own sandbox failing is no fault of the engine checked.
            tail = "\n".join(self.server.last_lines(5))
            raise LocalServerError(
                f"the private sandbox gateway failed on {method} {path}: {exc}\n{tail}"
            ) from exc


class JobChecks:
    """The checks that run jobs through the private sandbox."""

    def __init__(
        self, client: httpx.Client, sandbox: PrivateSandbox, engine: str, wait: float
    ) -> None:
        self.client = client
        self.sandbox = sandbox
        self.engine = engine
        self.wait = wait

    def run(
        self, manifest: Manifest, script: Script | None, args: dict[str, Any]
    ) -> Iterator[Check]:
        if script is None:
            why = "the manifest has no usable script that runs without --args"
            names = ("POST /jobs", "PUTs", "files", "bad parameters", "outside files")
            yield from (Check(name, False, why) for name in names)
            return

        job, record = self._run_job(script, args)
        yield self._dispatch_check(record)
        yield _puts_check(job, record)
        yield self._files_check(job)
        bad_check, bad_job = self._bad_params_check(manifest, script)
        yield bad_check
        yield self._outside_check(job, bad_job)

    def _run_job(
        self, script: Script, args: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Create a job, wait for it to close (or the timeout); job and record."""
        body = {
            "script": script.script,
            "name": script.title or script.script,
            "engine": self.engine,
            "expires": 3600,
            "args": args,
        }
        job = self.sandbox.call(self.client, "POST", "/api/job_manager", json=body)
        log.info("check job %s: %s", job["id"], script.script)
        deadline = time.monotonic() + self.wait
        record = self._record(job["id"])
        while time.monotonic() < deadline:
            job = self.sandbox.call(self.client, "GET", f"/api/job_manager/{job['id']}")
            record = self._record(job["id"])
            if job["state"] in CLOSED:
                break
            time.sleep(POLL_EVERY)

        # PUTs sent right after the closing one are part of the record too.
        if job["state"] in CLOSED:
            time.sleep(SETTLE)
            record = self._record(job["id"])

        # A dispatch still under way is given the sandbox's own time limit.
        dispatch_deadline = time.monotonic() + DISPATCH_WAIT
        while record["dispatch"] is None and time.monotonic() < dispatch_deadline:
            time.sleep(POLL_EVERY)
            record = self._record(job["id"])
        return job, record

    def _record(self, job_id: int) -> dict[str, Any]:
        path = f"/api/sandbox/jobs/{job_id}/engine_log"
        record: dict[str, Any] = self.sandbox.call(self.client, "GET", path)
        return record

    def _dispatch_check(self, record: dict[str, Any]) -> Check:
        dispatch = record["dispatch"]
        name = "POST /jobs"
        if dispatch is None:
            return Check(name, False, "the engine did not answer POST /jobs")
        seconds = dispatch["seconds"]
        if dispatch["error"]:
            return Check(name, False, f"{dispatch['error']} (after {seconds:.1f} s)")
        if seconds > DISPATCH_LIMIT:
            return Check(
                name,
                False,
                f"answered after {seconds:.1f} s, more than {DISPATCH_LIMIT:.0f} s",
            )
        return Check(
            name, True, f"answered HTTP {dispatch['status']} in {seconds:.2f} s"
        )

    def _files_check(self, job: dict[str, Any]) -> Check:
        name = "files"
        if job["state"] != "done":
            return Check(
                name,
                False,
                f"the job is {job['state']}, not done, so no file could be "
                f"checked: {job['result'].get('error', '')}".rstrip(": "),
            )
        files = job["result"].get("files") or []
        if not files:
            return Check(name, True, "the job listed no files")

        fetched, failed = [], []
        for file_name in files:
            path = f"/api/job_manager/{job['id']}/{quote(str(file_name), safe='')}"
            response = self.client.get(
                f"{self.sandbox.url}{path}",
                headers={"Authenticate": self.sandbox.token},
            )
            if response.is_success:
                fetched.append(f"{file_name} ({len(response.content)} bytes)")
            else:
                failed.append(f"{file_name}: HTTP {response.status_code}")
        if failed:
            return Check(name, False, "not downloaded: " + "; ".join(failed))
        return Check(
            name, True, "downloaded through the gateway: " + ", ".join(fetched)
        )

    def _bad_params_check(
        self, manifest: Manifest, chosen: Script
    ) -> tuple[Check, dict[str, Any] | None]:
        name = "bad parameters"
        candidates = [chosen] + [s for s in manifest.scripts if s is not chosen]
        for script in candidates:
            args = broken_args(script) if script.usable else None
            if args is not None:
                break
        else:
            return Check(name, True, "no script has a schema args can break"), None

        job, record = self._run_job(script, args)
        alive = self._engine_answers()
        evidence = f"{script.script} with {json.dumps(args)[:120]}: "
        if not alive:
            return Check(name, False, evidence + "the engine stopped answering"), job
        if job["state"] != "error":
            return Check(
                name,
                False,
                evidence + f"the job is {job['state']} after {self.wait:.0f} s, "
                "not error",
            ), job
        message = job["result"].get("error") or "(no message)"
        dispatch = record["dispatch"] or {}
        status = dispatch.get("status")
        if status is not None and status >= 500:
            return Check(
                name, False, evidence + f"the engine failed with HTTP {status}"
            ), job
        return Check(name, True, evidence + f"ended in error: {message}"), job

    def _engine_answers(self) -> bool:
        try:
            return self.client.get(f"{self.engine}/manifest").is_success
        except httpx.HTTPError:
            return False

    def _outside_check(
        self, job: dict[str, Any], other: dict[str, Any] | None
    ) -> Check:
        name = "outside files"
        files = job["result"].get("files") or []
        file_name = str(files[0]) if files else None
        other_id = None
        if other is not None and file_name not in (other["result"].get("files") or []):
            other_id = other["id"]
        probes = outside_probes(self.sandbox.site_id, job["id"], other_id, file_name)

        served, unanswered = [], 0
        for probe in probes:
            try:
                status = raw_get(self.engine, probe.path)
            except (OSError, http.client.HTTPException) as exc:
                log.debug("probe %s: %s", probe.label, exc)
                unanswered += 1
                continue
            if 200 <= status < 300:
                served.append(f"{probe.label} (GET {probe.path} -> {status})")
        if served:
            return Check(name, False, "served outside the job: " + "; ".join(served))
        if unanswered == len(probes):
            return Check(
                name, False, f"the engine answered none of {len(probes)} requests"
            )
        aimed = "" if file_name else " (the job had no file to aim at)"
        return Check(name, True, f"all {len(probes)} requests refused{aimed}")


def _puts_check(job: dict[str, Any], record: dict[str, Any]) -> Check:
    """Progress, then done or error, all to this job with this job's token."""
    name = "PUTs"
    puts = record["puts"]
    job_id = job["id"]
    wrong = [
        p
        for p in puts
        if p["job_id"] != job_id
        or p["token"]["kind"] != "job"
        or p["token"]["job_id"] != job_id
    ]
    if wrong:
        shown = "; ".join(
            f"PUT to job {p['job_id']} with a {p['token']['kind']} token"
            + (f" of job {p['token']['job_id']}" if p["token"]["job_id"] else "")
            + f" -> HTTP {p['status']}"
            for p in wrong[:3]
        )
        return Check(name, False, f"not to its own job with its token: {shown}")
    if not puts:
        return Check(name, False, f"no PUT at all; the job is still {job['state']}")
    if job["state"] not in CLOSED:
        return Check(
            name,
            False,
            f"{len(puts)} PUTs, none closing the job: it is still {job['state']}",
        )

    refused = [p for p in puts if p["status"] != 200]
    if refused:
        shown = "; ".join(
            f"a PUT of {', '.join(p['keys']) or 'nothing'} -> HTTP {p['status']}"
            for p in refused[:3]
        )
        return Check(name, False, f"{len(refused)} PUTs refused: {shown}")
    # One PUT may carry both: {"state": "done", "progress": {"percentage": 100}}.
    progress_first = any(p["progress"] for p in puts[:-1]) or (
        len(puts) == 1 and puts[0]["progress"]
    )
    last = puts[-1]["state"]
    if not progress_first or last not in CLOSED:
        return Check(
            name,
            False,
            f"{len(puts)} PUTs; progress reported: {bool(progress_first)}, "
            f"last state: {last}",
        )
    return Check(name, True, f"{len(puts)} PUTs with the job's token, ending {last}")
