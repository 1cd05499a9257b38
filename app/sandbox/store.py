"""The sandbox's SQLite file: sessions, jobs, tasks and a few settings.

One connection in WAL mode, used from the event loop's thread only (each
call is a few microseconds of local I/O). Tokens are never stored: only
their SHA-256, so the file leaks no usable credential. JSON columns hold
the free-form parts of jobs and tasks; they are cleaned as they are read
(NaN as null, a lone surrogate as U+FFFD), so a row stored by an older
version that let such values in cannot make every later answer fail.

One sandbox at a time uses a file. It holds an exclusive lock on
`<real path>.lock` (see filelock.py) while it runs, found through any
symbolic link, and SQLite's own exclusive lock on the file itself, taken
with a write at start-up and kept: a second name for the same file (a hard
link) is refused too. A file that SQLite finds damaged, or that is some
other program's database, is refused at once with a plain sentence, not a
traceback.
"""

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from app.errors import LocalServerError
from app.jsonlimits import clean_value
from app.sandbox.filelock import FileLock

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    job_id INTEGER,
    ttl REAL,
    expires_at REAL NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner INTEGER NOT NULL,
    engine TEXT NOT NULL,
    name TEXT NOT NULL,
    script TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires INTEGER NOT NULL,
    state TEXT NOT NULL,
    done_at REAL,
    dispatched_at REAL,
    news_at REAL,
    progress TEXT NOT NULL,
    result TEXT NOT NULL,
    params TEXT NOT NULL,
    task_id INTEGER,
    task_name TEXT
);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS task_runs (
    task_id INTEGER PRIMARY KEY,
    checked_until REAL NOT NULL,
    fired_at REAL,
    job_id INTEGER
);
"""
JSON_JOB_COLUMNS = ("progress", "result", "params")
OPEN_STATES = ("created", "running")
MAX_ROW_ID = 2**63 - 1  # SQLite's largest integer
# Columns added after the first release, with their types: older files get
# them when opened.
ADDED_COLUMNS = {"jobs": {"news_at": "REAL", "task_id": "INTEGER", "task_name": "TEXT"}}
JobChange = Callable[[dict[str, Any]], dict[str, Any]]


class Store:
    """Reads and writes the sandbox's state in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LocalServerError(
                f"the folder of the database {path} cannot be made: "
                f"{exc.strerror or exc}"
            ) from exc
        # The real path: through a symbolic link it is the same file, and
        # must be the same lock.
        real = path.resolve()
        self._file_lock = FileLock(real.with_name(real.name + ".lock"))
        self._file_lock.acquire(_in_use(path))
        try:
            self._db = _open(path)
        except BaseException:
            self._file_lock.release()
            raise
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()
        self._file_lock.release()

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: what is read in it is still so when written."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # settings that must survive restarts

    def setting(self, key: str, default: str) -> str:
        """A stored setting; the default is stored on first use."""
        self._run(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, default)
        )
        row = self._run("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row["value"])

    # sessions

    def add_session(
        self,
        token_hash: str,
        user_id: int,
        *,
        job_id: int | None,
        ttl: float | None,
        expires_at: float,
        now: float,
    ) -> None:
        self._run(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
            (token_hash, user_id, job_id, ttl, expires_at, now),
        )

    def session(self, token_hash: str) -> sqlite3.Row | None:
        cursor = self._run("SELECT * FROM sessions WHERE token_hash = ?", (token_hash,))
        row: sqlite3.Row | None = cursor.fetchone()
        return row

    def extend_session(self, token_hash: str, expires_at: float) -> None:
        self._run(
            "UPDATE sessions SET expires_at = ? WHERE token_hash = ?",
            (expires_at, token_hash),
        )

    def delete_session(self, token_hash: str) -> None:
        self._run("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def purge_sessions(self, now: float) -> int:
        return self._run("DELETE FROM sessions WHERE expires_at < ?", (now,)).rowcount

    # jobs

    def add_job(self, job: dict[str, Any]) -> int:
        columns = ", ".join(job)
        marks = ", ".join("?" for _ in job)
        values = tuple(
            json.dumps(v) if k in JSON_JOB_COLUMNS else v for k, v in job.items()
        )
        cursor = self._run(f"INSERT INTO jobs ({columns}) VALUES ({marks})", values)
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def job(self, job_id: int) -> dict[str, Any] | None:
        if not 0 < job_id <= MAX_ROW_ID:
            return None
        row = self._run("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job_dict(row) if row else None

    def job_state(self, job_id: int) -> str | None:
        row = self._run("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return str(row["state"]) if row else None

    def open_jobs(self) -> list[dict[str, Any]]:
        """Jobs not closed yet, whether or not handed to their engine yet."""
        rows = self._run(
            "SELECT * FROM jobs WHERE state IN ('created', 'running')"
        ).fetchall()
        return [_job_dict(row) for row in rows]

    def jobs_of(self, owner: int) -> list[dict[str, Any]]:
        rows = self._run(
            "SELECT * FROM jobs WHERE owner = ? ORDER BY id DESC", (owner,)
        ).fetchall()
        return [_job_dict(row) for row in rows]

    def update_job(self, job_id: int, **changes: Any) -> None:
        assignments, values = _assignments(changes)
        self._run(f"UPDATE jobs SET {assignments} WHERE id = ?", (*values, job_id))

    def change_open_job(
        self, job_id: int, change: JobChange
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Apply change to the job only if it is still open, atomically.

        change gets the job as it is inside the transaction and returns the
        columns to write. Returns the job before and after; after is None
        when nothing was written because the job is missing or closed.
        """
        with self._transaction() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            job = _job_dict(row) if row else None
            if job is None or job["state"] not in OPEN_STATES:
                return job, None
            changes = change(job)
            if changes:
                assignments, values = _assignments(changes)
                db.execute(
                    f"UPDATE jobs SET {assignments} WHERE id = ?", (*values, job_id)
                )
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return job, _job_dict(row)

    def undispatched_jobs(self) -> list[dict[str, Any]]:
        """Jobs created but never handed to their engine (the sandbox stopped)."""
        rows = self._run(
            "SELECT * FROM jobs WHERE state = 'created' AND dispatched_at IS NULL"
        ).fetchall()
        return [_job_dict(row) for row in rows]

    # tasks

    def add_task(self, owner: int, body: dict[str, Any], now: float) -> int:
        cursor = self._run(
            "INSERT INTO tasks (owner, body, created_at, updated_at) "
            "VALUES (?, ?, ?, ?)",
            (owner, json.dumps(body), now, now),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def task(self, task_id: int) -> dict[str, Any] | None:
        if not 0 < task_id <= MAX_ROW_ID:
            return None
        row = self._run("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
        return _task_dict(row) if row else None

    def tasks_of(self, owner: int) -> list[dict[str, Any]]:
        rows = self._run(
            "SELECT * FROM tasks WHERE owner = ? ORDER BY id", (owner,)
        ).fetchall()
        return [_task_dict(row) for row in rows]

    def replace_task(self, task_id: int, body: dict[str, Any], now: float) -> None:
        self._run(
            "UPDATE tasks SET body = ?, updated_at = ? WHERE id = ?",
            (json.dumps(body), now, task_id),
        )

    def delete_task(self, task_id: int) -> None:
        self._run("DELETE FROM tasks WHERE id = ?", (task_id,))
        self._run("DELETE FROM task_runs WHERE task_id = ?", (task_id,))

    def all_tasks(self) -> list[dict[str, Any]]:
        rows = self._run("SELECT * FROM tasks ORDER BY id").fetchall()
        return [_task_dict(row) for row in rows]

    # task runs: how far each task's schedule has been run (scheduler.py)

    def task_run(self, task_id: int) -> dict[str, Any] | None:
        """{checked_until, fired_at, job_id} of a task; None before its first."""
        row = self._run(
            "SELECT checked_until, fired_at, job_id FROM task_runs WHERE task_id = ?",
            (task_id,),
        ).fetchone()
        return dict(row) if row else None

    def save_task_run(
        self,
        task_id: int,
        checked_until: float,
        fired_at: float | None = None,
        job_id: int | None = None,
    ) -> None:
        """Record that the schedule was run up to checked_until, and any run."""
        self._run(
            "INSERT INTO task_runs (task_id, checked_until, fired_at, job_id) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (task_id) DO UPDATE SET "
            "checked_until = excluded.checked_until, "
            "fired_at = COALESCE(excluded.fired_at, fired_at), "
            "job_id = COALESCE(excluded.job_id, job_id)",
            (task_id, checked_until, fired_at, job_id),
        )


def _open(path: Path) -> sqlite3.Connection:
    """A connection to a usable database file; LocalServerError otherwise."""
    try:
        # No waiting: the only other user of the file is another sandbox.
        db = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=0
        )
    except sqlite3.Error as exc:
        raise LocalServerError(
            f"the database file {path} cannot be opened ({exc}); "
            "choose another with --db"
        ) from exc

    try:
        db.row_factory = sqlite3.Row
        # Text another program wrote in no valid UTF-8 is read, not refused.
        db.text_factory = lambda data: data.decode("utf-8", "replace")
        # Set before the first read: the lock taken is then kept until closed.
        db.execute("PRAGMA locking_mode=EXCLUSIVE")
        _check_intact(db)
        _check_ours(db, path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
        _add_new_columns(db)
        # A write now takes SQLite's exclusive lock, held while we run.
        db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('opened_at', ?)",
            (str(time.time()),),
        )
    except sqlite3.DatabaseError as exc:
        db.close()
        raise _open_error(path, exc) from exc
    except BaseException:
        db.close()
        raise
    return db


def _open_error(path: Path, exc: sqlite3.DatabaseError) -> LocalServerError:
    """The plain sentence for a database SQLite would not open as asked."""
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return LocalServerError(_in_use(path, " (through another name of the file)"))
    damaged = not isinstance(exc, sqlite3.OperationalError)
    what = "is damaged" if damaged else "cannot be used"
    return LocalServerError(
        f"the database file {path} {what} ({exc}); "
        "move it away or choose another with --db"
    )


def _in_use(path: Path, how: str = "") -> str:
    return (
        f"the database {path} is in use by another sandbox{how}; stop that one "
        "or choose another file with --db"
    )


def _check_ours(db: sqlite3.Connection, path: Path) -> None:
    """LocalServerError unless the file is empty or a sandbox's database."""
    memory = sqlite3.connect(":memory:")
    try:
        memory.executescript(SCHEMA)
        ours = _tables(memory)
    finally:
        memory.close()

    found = _tables(db)
    foreign = sorted(set(found) - set(ours))
    if foreign:
        raise LocalServerError(
            f"{path} is not a sandbox database: it holds tables a sandbox does "
            f"not make ({', '.join(foreign[:5])}); choose another file with --db"
        )
    for table, columns in found.items():
        added = set(ADDED_COLUMNS.get(table, {}))
        missing = sorted(ours[table] - added - columns)
        if missing:
            raise LocalServerError(
                f"{path} is not a sandbox database: its table {table} has no "
                f"{', '.join(missing)}; choose another file with --db"
            )


def _tables(db: sqlite3.Connection) -> dict[str, set[str]]:
    """The names of the columns of each table of a database."""
    names = [
        str(name)
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {name: _columns(db, name) for name in names}


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    quoted = table.replace('"', '""')
    return {str(row[1]) for row in db.execute(f'PRAGMA table_info("{quoted}")')}


def _add_new_columns(db: sqlite3.Connection) -> None:
    """Give a file made by an older version the columns added since."""
    for table, columns in ADDED_COLUMNS.items():
        present = _columns(db, table)
        for name, kind in columns.items():
            if name not in present:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
                log.info("added the column %s to the table %s", name, table)


def _check_intact(db: sqlite3.Connection) -> None:
    """Raise sqlite3.DatabaseError when SQLite finds the file damaged."""
    # Reads every page once: a damaged file is found now, in a moment,
    # rather than by the first request that touches the damage.
    problems = [row[0] for row in db.execute("PRAGMA quick_check(3)")]
    if problems != ["ok"]:
        raise sqlite3.DatabaseError("; ".join(problems))


def _assignments(changes: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """The SET clause of an UPDATE of jobs, and its values."""
    assignments = ", ".join(f"{column} = ?" for column in changes)
    values = tuple(
        json.dumps(v) if k in JSON_JOB_COLUMNS else v for k, v in changes.items()
    )
    return assignments, values


def _job_dict(row: sqlite3.Row) -> dict[str, Any]:
    job = dict(row)
    for column in JSON_JOB_COLUMNS:
        job[column] = clean_value(json.loads(job[column]))
    return job


def _task_dict(row: sqlite3.Row) -> dict[str, Any]:
    task: dict[str, Any] = clean_value(json.loads(row["body"]))
    task.update(
        id=row["id"],
        owner=row["owner"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
    return task
