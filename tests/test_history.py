"""The job history file: what is kept, for whom, for how long, and what
happens when the file cannot be read. Real SQLite files in a temp folder."""

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.history import (
    DEMO_SITE,
    DONE,
    EXPIRED,
    FAILED,
    GONE,
    MAX_JOBS,
    STARTED,
    History,
    Identity,
    file_facts,
    with_state,
)
from app.jobs import Job

ANA = Identity("https://gw.example.com", "ana")
BOB = Identity("https://gw.example.com", "bob")
ANA_ELSEWHERE = Identity("https://other.example.com", "ana")
ANA_ON_DEMO = Identity(DEMO_SITE, "ana")
DAY = 86400.0


class Told:
    """What the history told the user."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, text: str) -> None:
        self.messages.append(text)


@pytest.fixture
def told() -> Told:
    return Told()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
def history(path: Path, told: Told) -> Iterator[History]:
    kept = History(path, on_problem=told)
    yield kept
    kept.close()


def a_job(job_id: int, state: str = "running", **more: object) -> Job:
    return Job.from_json(
        {
            "id": job_id,
            "script": "fleet_status",
            "name": "Fleet Status",
            "state": state,
            "created_at": 1_800_000_000,
            "params": {"vehicles": [1, 2], "tz": "America/New_York"},
            **more,
        }
    )


def reopened(path: Path, told: Told | None = None) -> History:
    return History(path, on_problem=told)


# -- what is kept ----------------------------------------------------------------


def test_a_job_comes_back_as_recorded_after_the_file_is_reopened(
    history: History, path: Path
) -> None:
    running = a_job(7, progress={"percentage": 40})
    done = a_job(
        7,
        "done",
        progress={"percentage": 100},
        result={"files": ["fleet.csv", "fleet.xlsx"]},
        done_at=1_800_000_060,
        task={"id": 3, "name": "Mornings"},
    )
    history.record_job(ANA, running, lifetime=DAY)
    history.record_job(ANA, done)
    history.close()

    again = reopened(path)
    (entry,) = again.jobs(ANA)
    again.close()

    # Only the summary, which can be large, is not kept.
    assert entry.job == done
    assert entry.expires_at == 1_800_000_000 + DAY
    assert entry.ended


def test_downloads_come_back_with_their_state_path_size_and_checksum(
    history: History, path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    saved = folder / "fleet.csv"
    saved.write_bytes(b"vid,name\n1,Truck 01\n")
    size, sha256 = file_facts(saved)
    history.download_started(ANA, 7, "fleet.csv", folder)
    history.download_done(ANA, 7, "fleet.csv", saved, size=size, sha256=sha256)
    history.download_started(ANA, 7, "fleet.xlsx", folder)
    history.download_started(ANA, 8, "other.csv", folder)
    history.download_failed(ANA, 8, "other.csv", folder, "The disk is full.")
    history.close()

    again = reopened(path)
    kept = {(d.job_id, d.name): d for d in again.downloads(ANA)}
    again.close()

    assert kept[7, "fleet.csv"].state == DONE
    assert kept[7, "fleet.csv"].saved_path() == saved
    assert kept[7, "fleet.csv"].sha256 == hashlib.sha256(saved.read_bytes()).hexdigest()
    assert kept[7, "fleet.xlsx"].state == STARTED
    assert kept[7, "fleet.xlsx"].folder == folder
    assert kept[7, "fleet.xlsx"].saved_path() is None
    assert kept[8, "other.csv"].state == FAILED
    assert kept[8, "other.csv"].message == "The disk is full."


def test_a_saved_file_changed_or_gone_since_is_not_taken_as_saved(
    history: History, tmp_path: Path
) -> None:
    saved = tmp_path / "fleet.csv"
    saved.write_bytes(b"12345")
    history.download_done(ANA, 7, "fleet.csv", saved, size=5, sha256="")

    saved.write_bytes(b"123")  # cut short by something else
    entry = history.download(ANA, 7, "fleet.csv")
    assert entry is not None
    assert entry.saved_path() is None

    saved.unlink()
    assert entry.saved_path() is None


def test_each_gateway_and_user_has_its_own_jobs(history: History) -> None:
    history.record_job(ANA, a_job(1))
    history.record_job(BOB, a_job(2))
    history.record_job(ANA_ELSEWHERE, a_job(1, "done"))
    history.record_job(ANA_ON_DEMO, a_job(3))
    history.download_started(BOB, 2, "b.csv", Path("/tmp"))

    assert [(e.job.id, e.job.state) for e in history.jobs(ANA)] == [(1, "running")]
    assert [e.job.id for e in history.jobs(BOB)] == [2]
    assert [(e.job.id, e.job.state) for e in history.jobs(ANA_ELSEWHERE)] == [
        (1, "done")
    ]
    assert [e.job.id for e in history.jobs(ANA_ON_DEMO)] == [3]
    assert history.downloads(ANA) == []
    assert [d.name for d in history.downloads(BOB)] == ["b.csv"]


def test_jobs_come_oldest_first_and_keep_when_they_were_first_seen(
    path: Path,
) -> None:
    now = [1000.0]
    history = History(path, clock=lambda: now[0])
    for job_id in (5, 3, 9):
        history.record_job(ANA, a_job(job_id))
        now[0] += 10
    history.record_job(ANA, a_job(5, "done"))

    entries = history.jobs(ANA)
    history.close()

    assert [e.job.id for e in entries] == [5, 3, 9]
    assert [e.seen_at for e in entries] == [1000.0, 1010.0, 1020.0]
    assert entries[0].updated_at == 1030.0


def test_ids_beyond_64_bits_and_text_sqlite_refuses_are_kept(
    history: History,
) -> None:
    huge = 2**70
    odd = a_job(huge, name="Fleet \ud800 Status")  # a lone surrogate, from JSON

    history.record_job(ANA, odd)

    (entry,) = history.jobs(ANA)
    assert entry.job.id == huge
    assert entry.job.name == "Fleet ? Status"


def test_a_job_s_expiry_counts_from_its_creation(path: Path) -> None:
    history = History(path, clock=lambda: 1_900_000_000.0)
    history.record_job(ANA, a_job(1), lifetime=DAY)
    history.record_job(ANA, a_job(2, "done"), lifetime=DAY)
    history.record_job(ANA, a_job(3, created_at=None), lifetime=DAY)
    history.record_job(ANA, a_job(4))  # lifetime unknown: watched, say

    first, finished, undated, unknown = history.jobs(ANA)
    history.close()

    limit = 1_800_000_000 + DAY
    assert not first.expired(limit - 1)
    assert first.expired(limit)
    # An ended job does not expire: its files may still be there.
    assert not finished.expired(limit + 10 * DAY)
    # Without the gateway's date, counted from when it was recorded.
    assert undated.expires_at == 1_900_000_000.0 + DAY
    assert unknown.expires_at is None
    assert not unknown.expired(limit + 100 * DAY)


def test_expired_and_gone_are_kept_as_ends(history: History) -> None:
    history.record_job(ANA, with_state(a_job(1), EXPIRED))
    history.record_job(ANA, with_state(a_job(2), GONE))

    states = [(e.job.state, e.ended) for e in history.jobs(ANA)]
    assert states == [(EXPIRED, True), (GONE, True)]


def test_only_the_newest_jobs_of_a_user_are_kept_with_their_downloads(
    path: Path,
) -> None:
    now = [0.0]

    def clock() -> float:
        now[0] += 1
        return now[0]

    history = History(path, clock=clock)
    history.record_job(BOB, a_job(1))
    history.record_job(ANA, a_job(1))
    history.download_started(ANA, 1, "first.csv", Path("/tmp"))
    for job_id in range(2, MAX_JOBS + 6):
        history.record_job(ANA, a_job(job_id))
    history.download_started(ANA, MAX_JOBS + 5, "last.csv", Path("/tmp"))

    ids = [e.job.id for e in history.jobs(ANA)]
    downloads = [d.name for d in history.downloads(ANA)]
    bob = [e.job.id for e in history.jobs(BOB)]
    history.close()

    assert len(ids) == MAX_JOBS
    assert ids[0] == 6
    assert ids[-1] == MAX_JOBS + 5
    assert downloads == ["last.csv"]
    # Another user's jobs are not counted in, nor dropped.
    assert bob == [1]


def test_nothing_but_what_the_gateway_said_and_where_files_went_is_written(
    history: History, path: Path, tmp_path: Path
) -> None:
    history.record_job(ANA, a_job(1, "done", result={"files": ["a.csv"]}))
    history.download_started(ANA, 1, "a.csv", tmp_path)
    history.close()

    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        job_columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
        version = db.execute("PRAGMA user_version").fetchone()[0]
        journal = db.execute("PRAGMA journal_mode").fetchone()[0]
    db.close()

    assert {"jobs", "downloads"} <= tables
    assert not {c for c in job_columns if "token" in c or "password" in c}
    assert version == 1
    assert journal == "wal"


# -- files that cannot be used ----------------------------------------------------


def broken_copies(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.broken-*"))


def test_a_file_that_is_not_a_database_is_set_aside_once_and_a_new_one_used(
    path: Path, told: Told
) -> None:
    path.write_bytes(b"this is not SQLite\n" * 200)
    history = reopened(path, told)

    assert history.jobs(ANA) == []
    history.record_job(ANA, a_job(1))
    history.record_job(ANA, a_job(2))
    assert [e.job.id for e in history.jobs(ANA)] == [1, 2]
    history.close()

    (aside,) = broken_copies(path)
    assert aside.read_bytes().startswith(b"this is not SQLite")
    assert len(told.messages) == 1
    assert "could not be read" in told.messages[0]
    assert str(aside) in told.messages[0]
    assert [e.job.id for e in reopened(path).jobs(ANA)] == [1, 2]


def test_a_file_damaged_inside_is_set_aside_when_found(path: Path, told: Told) -> None:
    history = reopened(path, told)
    for job_id in range(1, 400):
        history.record_job(ANA, a_job(job_id, name="Fleet Status " * 20))
    history.close()
    data = bytearray(path.read_bytes())
    # Past the first page (the header and schema stay readable).
    data[8192:-4096] = b"\xff" * (len(data) - 8192 - 4096)
    path.write_bytes(bytes(data))

    history = reopened(path, told)
    shown = history.jobs(ANA)
    history.record_job(ANA, a_job(1000))
    after = [e.job.id for e in history.jobs(ANA)]
    history.close()

    assert shown == []
    assert after == [1000]
    assert len(broken_copies(path)) == 1
    assert len(told.messages) == 1
    assert "damaged" in told.messages[0] or "malformed" in told.messages[0]


def test_a_file_from_a_newer_version_is_set_aside_and_said_why(
    path: Path, told: Told
) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE future (x)")
        db.execute("PRAGMA user_version = 99")
    db.close()

    history = reopened(path, told)
    history.record_job(ANA, a_job(1))
    assert [e.job.id for e in history.jobs(ANA)] == [1]
    history.close()

    assert len(broken_copies(path)) == 1
    (message,) = told.messages
    assert "newer version" in message


def test_a_folder_where_the_file_should_be_is_set_aside(path: Path, told: Told) -> None:
    path.mkdir()

    history = reopened(path, told)
    history.record_job(ANA, a_job(1))
    assert [e.job.id for e in history.jobs(ANA)] == [1]
    history.close()

    (aside,) = broken_copies(path)
    assert aside.is_dir()
    assert len(told.messages) == 1


def test_a_write_another_program_blocks_is_dropped_with_one_notice(
    history: History, path: Path, told: Told
) -> None:
    history.record_job(ANA, a_job(1))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        history.record_job(ANA, a_job(2))
    finally:
        other.execute("ROLLBACK")
        other.close()

    history.record_job(ANA, a_job(3))
    history.record_job(ANA, a_job(4))
    assert [e.job.id for e in history.jobs(ANA)] == [1, 3, 4]
    assert len(told.messages) == 1
    assert "could not be read or saved" in told.messages[0]
    assert broken_copies(path) == []


def test_without_a_file_the_history_lasts_in_memory(told: Told) -> None:
    history = History(None, on_problem=told)
    history.record_job(ANA, a_job(1))

    assert [e.job.id for e in history.jobs(ANA)] == [1]
    assert told.messages == []


def test_two_windows_share_one_file(path: Path, told: Told) -> None:
    first, second = reopened(path, told), reopened(path, told)
    first.record_job(ANA, a_job(1))
    second.record_job(ANA, a_job(2))
    first.record_job(ANA, a_job(1, "done"))

    seen = [(e.job.id, e.job.state) for e in second.jobs(ANA)]
    first.close()
    second.close()

    assert seen == [(1, "done"), (2, "running")]
    assert told.messages == []
    assert broken_copies(path) == []
