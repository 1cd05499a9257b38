"""`python -m app engine --job-delay SECONDS`: jobs stay running a while.

The embedded engine and the sandbox run as processes on loopback. What the
engine reported is read from the sandbox's record of every PUT a job's
engine made (GET /api/sandbox/jobs/:id/engine_log), so the test sees each
step of the progress, not only what a poll happened to catch.
"""

import subprocess
from pathlib import Path

import httpx
import pytest
from support.engine_stack import engine_and_sandbox, run_idling
from support.sandbox_engine import sign_in, wait_for

from app.children import app_command

pytestmark = pytest.mark.slow

DELAY = 3.0


def reported(client: httpx.Client, job_id: int) -> list[tuple[str, int]]:
    """(state, percentage) of every PUT the job's engine made, once done."""

    def ended() -> bool:
        state = client.get(f"/api/job_manager/{job_id}").json()["state"]
        return state in ("done", "error")

    wait_for(ended, f"job {job_id} to end", timeout=60)
    record = client.get(f"/api/sandbox/jobs/{job_id}/engine_log").json()
    return [(put["state"], put["progress"]["percentage"]) for put in record["puts"]]


def test_a_delayed_job_reports_running_progress_then_does_its_work(
    tmp_path: Path,
) -> None:
    with (
        engine_and_sandbox(tmp_path, "--job-delay", str(DELAY)) as url,
        sign_in(url) as client,
    ):
        job = run_idling(client)
        puts = reported(client, job["id"])
        done = client.get(f"/api/job_manager/{job['id']}").json()
        csv = client.get(f"/api/job_manager/{job['id']}/idling.csv")

    percentages = [percentage for _, percentage in puts]
    waiting = [p for state, p in puts if state == "running" and p <= 50]
    # Running at 0 % at once, then steps through the wait, up to half way.
    assert puts[0] == ("running", 0)
    assert len(waiting) >= 3
    assert waiting[-1] == 50
    assert percentages == sorted(percentages)
    assert puts[-1] == ("done", 100)
    assert done["state"] == "done"
    assert done["result"]["files"] == ["idling.json", "idling.csv"]
    assert csv.status_code == 200
    assert csv.text.splitlines()[0].startswith("vid,")


def test_without_a_delay_the_work_starts_at_once(tmp_path: Path) -> None:
    with engine_and_sandbox(tmp_path) as url, sign_in(url) as client:
        job = run_idling(client)
        puts = reported(client, job["id"])

    # The first news is the parameters checked (5 %), no waiting steps.
    assert puts[0] == ("running", 5)
    assert puts[-1] == ("done", 100)


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "86401"])
def test_a_bad_job_delay_is_one_line_and_exit_2(tmp_path: Path, value: str) -> None:
    done = subprocess.run(
        app_command(
            "engine", "--port", "0", "--files", str(tmp_path), "--job-delay", value
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line == "error: --job-delay must be a number of seconds from 0 to 86400"
