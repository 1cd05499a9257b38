"""The jobs and downloads the app started, kept between runs.

One SQLite file in the data folder holds, per gateway and user, every job
run, watched or followed again, as last seen, and every file download
(started, done with its path, size and SHA-256, or failed). On start the
window shows the last user's jobs at once and follows again those still
open; a file saved before is not fetched again. No token or password is
ever written here: only what the gateway said about a job, and where its
files went.

The file is used from one thread (the window's); each write is one small
transaction, and the journal is SQLite's write-ahead log, so a killed app
loses at most the write under way. A file that cannot be read (damaged,
not a database, written by a newer version) is set aside as
history.sqlite3.broken-<time> and a new one started; the user is told
once. When even that fails, the history lives in memory for this run.
"""

import contextlib
import dataclasses
import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from app.jobs import TERMINAL_STATES, Job

log = logging.getLogger(__name__)

HISTORY_FILE = "history.sqlite3"
SCHEMA_VERSION = 1
# Per gateway and user, the newest 2,000 jobs are kept (by when this app
# first saw them); an older one goes, with its downloads, as a new one
# comes. A job takes a few hundred bytes (more with long vehicle lists),
# so a user's history stays within a few megabytes.
MAX_JOBS = 2000
# How long a write waits for another window of the app to finish its own.
BUSY_TIMEOUT_S = 2.0
HASH_CHUNK = 1024 * 1024

# States the app gives a job itself: the gateway never says these.
EXPIRED = "expired"  # past its expiry before it ended: no longer followed
GONE = "gone"  # the gateway answered 404: it no longer knows the job
ENDED_STATES = TERMINAL_STATES | {EXPIRED, GONE}

# Download states.
STARTED, DONE, FAILED = "started", "done", "failed"

# The local demo gets a new address every run: its jobs are kept under this.
DEMO_SITE = "demo"

ProblemListener = Callable[[str], None]
T = TypeVar("T")

# SQLite's primary result codes (sqlite3.h): another program holds the
# file (not its fault), or the file is damaged.
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_BROKEN_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    gateway TEXT NOT NULL,
    user TEXT NOT NULL,
    job_id TEXT NOT NULL,  -- as text: a gateway's ids may pass 64 bits
    script TEXT NOT NULL,
    title TEXT NOT NULL,
    engine TEXT NOT NULL,
    state TEXT NOT NULL,
    percentage REAL NOT NULL,
    files TEXT NOT NULL,  -- JSON list of names
    error TEXT NOT NULL,
    params TEXT NOT NULL,  -- JSON object
    task_id TEXT,
    task_name TEXT NOT NULL,
    created_at REAL,  -- the gateway's clock
    done_at REAL,
    expires_at REAL,
    seen_at REAL NOT NULL,  -- this computer's clock, when first recorded
    updated_at REAL NOT NULL,
    PRIMARY KEY (gateway, user, job_id)
);
CREATE INDEX IF NOT EXISTS jobs_by_age ON jobs (gateway, user, seen_at);
CREATE TABLE IF NOT EXISTS downloads (
    gateway TEXT NOT NULL,
    user TEXT NOT NULL,
    job_id TEXT NOT NULL,
    name TEXT NOT NULL,
    folder TEXT NOT NULL,  -- where its .part is written, for a resume
    path TEXT,
    size INTEGER,
    sha256 TEXT,
    state TEXT NOT NULL CHECK (state IN ('started', 'done', 'failed')),
    message TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (gateway, user, job_id, name)
);
"""


class _UnusableFileError(Exception):
    """The file is not a history this version can use."""


@dataclass(frozen=True)
class Identity:
    """Whose jobs: a gateway's site URL (DEMO_SITE for the local demo) and
    a user name."""

    site: str
    user: str

    def __str__(self) -> str:
        return f"{self.user} on {self.site}"


@dataclass
class JobEntry:
    """A job as last recorded, and when this computer saw it."""

    job: Job
    seen_at: float
    updated_at: float
    expires_at: float | None

    @property
    def ended(self) -> bool:
        return self.job.state in ENDED_STATES

    def expired(self, now: float) -> bool:
        """Past its expiry and not ended: the gateway will not finish it."""
        return not self.ended and self.expires_at is not None and now >= self.expires_at


@dataclass
class DownloadEntry:
    """One file of a job: where it goes, and how far it got."""

    job_id: int
    name: str
    folder: Path
    state: str
    path: Path | None = None
    size: int | None = None
    sha256: str = ""
    message: str = ""

    def saved_path(self) -> Path | None:
        """The file, if it was saved and is still there at its size."""
        if self.state != DONE or self.path is None or self.size is None:
            return None
        try:
            same = self.path.is_file() and self.path.stat().st_size == self.size
        except OSError:
            return None
        return self.path if same else None


def ended(job: Job) -> bool:
    """Whether nothing more will happen to job (done, error, expired, gone)."""
    return job.state in ENDED_STATES


def with_state(job: Job, state: str) -> Job:
    """A copy of job in another state (expired, gone)."""
    return dataclasses.replace(job, state=state)


def file_facts(path: Path) -> tuple[int, str]:
    """A file's size and SHA-256 (hex), read in chunks: it may be large."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


class History:
    """The history file, opened on first use.

    on_problem is told, once per kind of problem, what went wrong with the
    file in words for the user (it is also logged).
    """

    def __init__(
        self,
        path: Path | None,
        *,
        on_problem: ProblemListener | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """path: the file; None keeps the history in memory only."""
        self.path = path
        self.on_problem = on_problem
        self._clock = clock
        self._db: sqlite3.Connection | None = None
        self._said: set[str] = set()

    def close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            db.close()

    # -- jobs -----------------------------------------------------------------

    def record_job(
        self, who: Identity, job: Job, *, lifetime: float | None = None
    ) -> None:
        """Add the job or save its new state. lifetime: seconds the gateway
        keeps it from its creation (its `expires`), known when it is new."""
        self._guarded(lambda db: self._write_job(db, who, job, lifetime), None)

    def jobs(self, who: Identity) -> list[JobEntry]:
        """who's jobs, oldest first."""
        return self._guarded(lambda db: self._read_jobs(db, who), [])

    # -- downloads ------------------------------------------------------------

    def download_started(
        self, who: Identity, job_id: int, name: str, folder: Path
    ) -> None:
        entry = DownloadEntry(job_id, name, folder, STARTED)
        self._guarded(lambda db: self._write_download(db, who, entry), None)

    def download_done(
        self,
        who: Identity,
        job_id: int,
        name: str,
        path: Path,
        *,
        size: int,
        sha256: str,
    ) -> None:
        entry = DownloadEntry(job_id, name, path.parent, DONE, path, size, sha256)
        self._guarded(lambda db: self._write_download(db, who, entry), None)

    def download_failed(
        self, who: Identity, job_id: int, name: str, folder: Path, message: str
    ) -> None:
        entry = DownloadEntry(job_id, name, folder, FAILED, message=message)
        self._guarded(lambda db: self._write_download(db, who, entry), None)

    def downloads(self, who: Identity) -> list[DownloadEntry]:
        """Every download of who's jobs kept here."""
        return self._guarded(lambda db: self._read_downloads(db, who), [])

    def download(self, who: Identity, job_id: int, name: str) -> DownloadEntry | None:
        found: list[DownloadEntry] = self._guarded(
            lambda db: self._read_downloads(db, who, job_id=job_id, name=name), []
        )
        return found[0] if found else None

    # -- writing and reading --------------------------------------------------

    def _write_job(
        self, db: sqlite3.Connection, who: Identity, job: Job, lifetime: float | None
    ) -> None:
        now = self._clock()
        key = (who.site, who.user, str(job.id))
        values = {
            "script": _storable(job.script),
            "title": _storable(job.name),
            "engine": _storable(job.engine),
            "state": _storable(job.state),
            "percentage": job.percentage,
            "files": json.dumps(job.files),
            "error": _storable(job.error),
            "params": json.dumps(job.params),
            "task_id": None if job.task_id is None else str(job.task_id),
            "task_name": _storable(job.task_name),
            "created_at": job.created_at,
            "done_at": job.done_at,
            "updated_at": now,
        }
        if lifetime is not None:
            values["expires_at"] = (job.created_at or now) + lifetime

        with db:
            known = db.execute(
                "SELECT 1 FROM jobs WHERE gateway = ? AND user = ? AND job_id = ?", key
            ).fetchone()
            if known:
                assignments = ", ".join(f"{column} = ?" for column in values)
                # The column names are ours; only the values come from outside.
                db.execute(
                    f"UPDATE jobs SET {assignments} "
                    "WHERE gateway = ? AND user = ? AND job_id = ?",
                    (*values.values(), *key),
                )
                return
            values = {"expires_at": None, **values, "seen_at": now}
            columns = ", ".join(["gateway", "user", "job_id", *values])
            marks = ", ".join("?" * (3 + len(values)))
            db.execute(
                f"INSERT INTO jobs ({columns}) VALUES ({marks})",
                (*key, *values.values()),
            )
            self._keep_newest(db, who)

    def _keep_newest(self, db: sqlite3.Connection, who: Identity) -> None:
        """Drop who's oldest jobs (and their downloads) beyond MAX_JOBS."""
        (count,) = db.execute(
            "SELECT COUNT(*) FROM jobs WHERE gateway = ? AND user = ?",
            (who.site, who.user),
        ).fetchone()
        if count <= MAX_JOBS:
            return
        db.execute(
            "DELETE FROM jobs WHERE gateway = ? AND user = ? AND job_id IN "
            "(SELECT job_id FROM jobs WHERE gateway = ? AND user = ? "
            "ORDER BY seen_at DESC, rowid DESC LIMIT -1 OFFSET ?)",
            (who.site, who.user, who.site, who.user, MAX_JOBS),
        )
        db.execute(
            "DELETE FROM downloads WHERE gateway = ? AND user = ? AND job_id NOT IN "
            "(SELECT job_id FROM jobs WHERE gateway = ? AND user = ?)",
            (who.site, who.user, who.site, who.user),
        )
        log.info("history of %s: the oldest of %d jobs dropped", who, count)

    def _read_jobs(self, db: sqlite3.Connection, who: Identity) -> list[JobEntry]:
        rows = db.execute(
            "SELECT job_id, script, title, engine, state, percentage, files, error, "
            "params, task_id, task_name, created_at, done_at, expires_at, seen_at, "
            "updated_at FROM jobs WHERE gateway = ? AND user = ? "
            "ORDER BY seen_at, rowid",
            (who.site, who.user),
        ).fetchall()
        entries = []
        for row in rows:
            entry = _job_entry(row)
            if entry is not None:
                entries.append(entry)
        return entries

    def _write_download(
        self, db: sqlite3.Connection, who: Identity, entry: DownloadEntry
    ) -> None:
        with db:
            db.execute(
                "INSERT OR REPLACE INTO downloads (gateway, user, job_id, name, "
                "folder, path, size, sha256, state, message, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    who.site,
                    who.user,
                    str(entry.job_id),
                    entry.name,
                    str(entry.folder),
                    None if entry.path is None else str(entry.path),
                    entry.size,
                    entry.sha256 or None,
                    entry.state,
                    entry.message,
                    self._clock(),
                ),
            )

    def _read_downloads(
        self,
        db: sqlite3.Connection,
        who: Identity,
        *,
        job_id: int | None = None,
        name: str | None = None,
    ) -> list[DownloadEntry]:
        query = (
            "SELECT job_id, name, folder, state, path, size, sha256, message "
            "FROM downloads WHERE gateway = ? AND user = ?"
        )
        params: tuple[Any, ...] = (who.site, who.user)
        if job_id is not None and name is not None:
            query += " AND job_id = ? AND name = ?"
            params += (str(job_id), name)
        rows = db.execute(query + " ORDER BY updated_at, rowid", params).fetchall()
        return [
            DownloadEntry(
                job_id=int(row[0]),
                name=row[1],
                folder=Path(row[2]),
                state=row[3],
                path=Path(row[4]) if row[4] else None,
                size=row[5],
                sha256=row[6] or "",
                message=row[7],
            )
            for row in rows
        ]

    # -- the file -------------------------------------------------------------

    def _guarded(self, work: Callable[[sqlite3.Connection], T], fallback: T) -> T:
        """work on the open file. A file found damaged is set aside and the
        work done again on a new one; any other failure gives fallback."""
        for attempt in (1, 2):
            db = self._connection()
            try:
                return work(db)
            except sqlite3.DatabaseError as exc:
                if _code(exc) in _BROKEN_CODES and attempt == 1:
                    self._set_aside(f"it is damaged: {exc}")
                    continue
                self._cannot_write(exc)
                return fallback
            except (sqlite3.Error, ValueError) as exc:
                # ValueError: text SQLite cannot take (a lone surrogate).
                self._cannot_write(exc)
                return fallback
        return fallback

    def _connection(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        if self.path is None:
            self._db = _prepared(sqlite3.connect(":memory:"))
            return self._db

        try:
            self._db = self._open_file(self.path)
            return self._db
        except sqlite3.DatabaseError as exc:
            if _code(exc) in _BUSY_CODES:
                return self._in_memory("another program holds it", exc)
            reason = str(exc)
        except _UnusableFileError as exc:
            reason = str(exc)
        except OSError as exc:
            return self._in_memory(_reason(exc), exc)

        self._set_aside(reason)
        if self._db is not None:  # it could not be moved: in memory now
            return self._db
        try:
            self._db = self._open_file(self.path)
        except (_UnusableFileError, sqlite3.DatabaseError, OSError) as again:
            return self._in_memory(_reason(again), again)
        return self._db

    def _open_file(self, path: Path) -> sqlite3.Connection:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
        try:
            version = _readable_version(db)
            db.execute("PRAGMA journal_mode = WAL")
            # With the write-ahead log, NORMAL loses nothing when the app is
            # killed; only a power cut may lose the last writes.
            db.execute("PRAGMA synchronous = NORMAL")
            if version < SCHEMA_VERSION:
                # TODO(history): a format 2 will need a migration from 1 here.
                _prepared(db)
        except BaseException:
            db.close()
            raise
        log.debug("job history in %s", path)
        return db

    def _in_memory(self, reason: str, exc: BaseException) -> sqlite3.Connection:
        self._tell(
            "memory",
            f"The job history in {self.path} cannot be used ({reason}); the "
            "jobs run now will not be shown after a restart.",
            exc,
        )
        self._db = _prepared(sqlite3.connect(":memory:"))
        return self._db

    def _set_aside(self, reason: str) -> None:
        """Move the unusable file (and its log) aside, kept for support; or,
        when it cannot be moved, keep the history in memory."""
        self.close()
        assert self.path is not None
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(self._clock()))
        aside = self.path.with_name(f"{self.path.name}.broken-{stamp}")
        count = 1
        while aside.exists():
            count += 1
            aside = self.path.with_name(f"{self.path.name}.broken-{stamp}-{count}")

        # The write-ahead log goes too: SQLite would apply it to the new file
        # of the same name.
        try:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{self.path}{suffix}").rename(Path(f"{aside}{suffix}"))
        except OSError as exc:
            self._in_memory(f"{reason}; it could not be moved: {_reason(exc)}", exc)
            return
        self._tell(
            "broken",
            f"The job history could not be read ({reason}). It was set aside as "
            f"{aside} and a new one started: the jobs run before are not shown.",
        )

    def _cannot_write(self, exc: Exception) -> None:
        self._tell(
            "write",
            f"The job history in {self.path} could not be read or saved "
            f"({_reason(exc)}); the jobs run now may not be shown after a restart.",
            exc,
        )

    def _tell(self, kind: str, text: str, exc: BaseException | None = None) -> None:
        """Log a problem each time; tell the user once per kind."""
        cause = f" ({type(exc).__name__})" if exc is not None else ""
        log.warning("%s%s", text, cause)
        if kind in self._said:
            return
        self._said.add(kind)
        if self.on_problem is not None:
            self.on_problem(text)


def _readable_version(db: sqlite3.Connection) -> int:
    """The file's format, if this version of the app reads it."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise _UnusableFileError(
            f"it was written by a newer version of the app (format {version}; "
            f"this one reads format {SCHEMA_VERSION})"
        )
    return version


def _prepared(db: sqlite3.Connection) -> sqlite3.Connection:
    """db with the tables made (a new or empty file).

    In one transaction taken for writing, and harmless twice: a second
    window of the app may be making them at the same moment.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        db.rollback()
        raise
    db.commit()
    return db


def _job_entry(row: tuple[Any, ...]) -> JobEntry | None:
    """A JobEntry from a row; None for a row that cannot be read back."""
    try:
        files = json.loads(row[6])
        params = json.loads(row[8])
        job = Job(
            id=int(row[0]),
            script=row[1],
            name=row[2],
            engine=row[3],
            state=row[4],
            percentage=float(row[5]),
            files=[name for name in files if isinstance(name, str)],
            error=row[7],
            params=params if isinstance(params, dict) else {},
            task_id=None if row[9] is None else int(row[9]),
            task_name=row[10],
            created_at=row[11],
            done_at=row[12],
        )
    except (ValueError, TypeError) as exc:
        log.warning("history: job %r cannot be read back (%s); skipped", row[0], exc)
        return None
    return JobEntry(job=job, seen_at=row[14], updated_at=row[15], expires_at=row[13])


def _code(exc: sqlite3.Error) -> int:
    """SQLite's primary result code of an error (-1 when not given)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else -1


def _storable(text: str) -> str:
    """text without lone surrogates (JSON may carry them; SQLite refuses
    them): each becomes a question mark."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)
