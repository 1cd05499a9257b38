"""The table model behind the jobs panel: one row per job run this session.

Rows hold the job as the gateway last described it and, per result file,
whether it has been downloaded and where. Elapsed time is computed from this
computer's clock when the job was first seen, so a gateway whose clock is
off does not make a job look hours old; `tick()` refreshes that column.
A job's name and an engine's error are shown cut to a readable length.
A job a schedule started is marked with its task's name. A change is
told for its own row only (never by resetting the model, never by sorting
it again), and a job's row is found without going through every row, so a
table of hundreds of followed jobs stays quick to update.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

from app.display_text import DESCRIPTION_LIMIT, TITLE_LIMIT, one_line
from app.jobs import Job
from widgets.plain_text import tooltip
from widgets.theme import MUTED, STATE_COLORS

COLUMNS = ("Report", "State", "Progress", "Elapsed", "Files")
REPORT, STATE, PROGRESS, ELAPSED, FILES = range(len(COLUMNS))
PERCENT_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2

STATE_WORDS = {
    "created": "Waiting",
    "running": "Running",
    "done": "Done",
    "error": "Failed",
    # Given by the app, not the gateway (app/history.py).
    "expired": "Expired",
    "gone": "Gone",
}
# What the Files column says of a job the app stopped following.
ENDED_NOTES = {
    "expired": "Expired before it ended: no longer followed.",
    "gone": "No longer on the gateway (deleted, or expired there).",
}

Index = QModelIndex | QPersistentModelIndex


@dataclass
class FileState:
    """One result file of a job, as far as this computer is concerned."""

    name: str
    state: str = "remote"  # remote, downloading, saved, failed
    path: Path | None = None
    received: int = 0
    total: int | None = None
    message: str = ""


@dataclass
class JobRow:
    """A job and what the panel knows about it."""

    job: Job
    seen_at: float = field(default_factory=time.time)
    ended_at: float | None = None
    files: dict[str, FileState] = field(default_factory=dict)

    def elapsed(self, now: float) -> float:
        return max(0.0, (self.ended_at or now) - self.seen_at)


class JobsModel(QAbstractTableModel):
    """Jobs, newest first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[JobRow] = []
        # Each job's place in the order it came, oldest 0: rows only ever
        # come on top, so a job's row is found without a walk through all.
        self._arrival: dict[int, int] = {}

    # -- Qt model API ----------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
        ):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        job, column = row.job, index.column()

        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == STATE:
            return QColor(STATE_COLORS.get(job.state, MUTED))
        if role == PERCENT_ROLE:
            return job.percentage
        if role == STATE_ROLE:
            return job.state
        return None

    # -- changes ---------------------------------------------------------------

    def upsert(self, job: Job) -> JobRow:
        """Add the job, or update the row that has its id."""
        position = self.row_of(job.id)
        if position is None:
            self.beginInsertRows(QModelIndex(), 0, 0)
            row = JobRow(job=job)
            self._arrival[job.id] = len(self.rows)
            self.rows.insert(0, row)
            self.endInsertRows()
            position = 0
        else:
            row = self.rows[position]
            row.job = job

        if job.finished and row.ended_at is None:
            row.ended_at = time.time()
        for name in job.files:
            row.files.setdefault(name, FileState(name))
        self._changed(position)
        return row

    def upsert_many(self, jobs: list[Job]) -> None:
        """upsert() each job, the new ones inserted together, as they would
        be one by one: a view lays its rows out once however many jobs
        come at once (all of them shown again after a restart)."""
        latest = {job.id: job for job in jobs}
        fresh = [job for job in latest.values() if self.row_of(job.id) is None]
        if fresh:
            self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
            for job in fresh:
                self._arrival[job.id] = len(self.rows)
                self.rows.insert(0, JobRow(job=job))
            self.endInsertRows()

        for job in latest.values():
            self.upsert(job)

    def clear(self) -> None:
        self.beginResetModel()
        self.rows.clear()
        self._arrival.clear()
        self.endResetModel()

    def update_file(self, job_id: int, name: str, **changes: Any) -> FileState | None:
        position = self.row_of(job_id)
        if position is None:
            return None
        state = self.rows[position].files.setdefault(name, FileState(name))
        for key, value in changes.items():
            setattr(state, key, value)
        self._changed(position)
        return state

    def tick(self) -> bool:
        """Refresh the elapsed column; True while some job still runs."""
        if self.rows:
            self.dataChanged.emit(
                self.index(0, ELAPSED), self.index(len(self.rows) - 1, ELAPSED)
            )
        return any(row.ended_at is None for row in self.rows)

    def row_of(self, job_id: int) -> int | None:
        """The row of the job with this id, or None."""
        arrival = self._arrival.get(job_id)
        if arrival is None:
            return None
        position = len(self.rows) - 1 - arrival
        if 0 <= position < len(self.rows) and self.rows[position].job.id == job_id:
            return position

        # The rows were changed other than by upsert(): count them again.
        self._arrival = {
            row.job.id: len(self.rows) - 1 - i for i, row in enumerate(self.rows)
        }
        found = self._arrival.get(job_id)
        return None if found is None else len(self.rows) - 1 - found

    def _changed(self, position: int) -> None:
        self.dataChanged.emit(
            self.index(position, 0), self.index(position, len(COLUMNS) - 1)
        )

    # -- what each cell says ---------------------------------------------------

    def _display(self, row: JobRow, column: int) -> Any:
        job = row.job
        if column == REPORT:
            title = one_line(job.name or job.script, TITLE_LIMIT)
            mark = task_mark(job)
            return f"{title} · {mark}" if mark else title
        if column == STATE:
            return STATE_WORDS.get(job.state, job.state.capitalize())
        if column == PROGRESS:
            return f"{job.percentage:.0f}%"
        if column == ELAPSED:
            return format_elapsed(row.elapsed(time.time()))
        if column == FILES and job.state == "error":
            return (
                one_line(job.error, DESCRIPTION_LIMIT) or "The engine gave no reason."
            )
        if column == FILES and job.state == "done" and not job.files:
            return "No files"
        if column == FILES and job.state in ENDED_NOTES:
            return ENDED_NOTES[job.state]
        return None

    def _tooltip(self, row: JobRow, column: int) -> str | None:
        job = row.job
        if column == FILES and job.state == "error":
            return tooltip(job.error) if job.error else None
        if column == REPORT:
            started = f"; started by the schedule of task {job.task_id}"
            return tooltip(
                f"{job.name} ({job.script}), job {job.id}"
                + (started if job.task_id is not None else "")
            )
        return None


def task_mark(job: Job) -> str:
    """ "scheduled: Morning idling" for a job a schedule started; else ""."""
    if job.task_id is None:
        return ""
    return "scheduled: " + one_line(job.task_name or f"task {job.task_id}", TITLE_LIMIT)


def format_elapsed(seconds: float) -> str:
    """0:05, 12:40, 1:02:03."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"
