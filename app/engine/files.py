"""Job folders: written for a job, found again safely, removed when expired.

A job's files live in `<root>/<site_id>/<job_id>/`. No path is ever built
from unchecked text: ids must be digits, file names must match a strict
pattern (a lowercase report name and one of our extensions, so no dots,
slashes, backslashes or hidden files). Links are never followed: a file
is served only when its real path lies in a real folder inside the real
root, and what the engine deletes is a real folder inside it. Files are
written under a hidden temporary name and renamed, so a half-written file
is never served.

Each folder keeps a hidden record (`.job.json`) of the gateway it was
made for (its site URL) and of when its job expires (`job_created_at +
job_expires`). Two gateways can send the same site and job ids: a job from
another gateway replaces the folder rather than mixing with it (another
spelling of the same gateway, `localhost` for `127.0.0.1` or with `/api`,
is not another gateway), and `sweep` removes the folders of expired jobs.
"""

import contextlib
import json
import logging
import math
import os
import re
import shutil
from collections.abc import Container, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from app.engine.sites import same_site
from app.engine.writers import WRITERS, ReportTable

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
RECORD_NAME = ".job.json"
DEFAULT_LIFETIME = 86_400.0  # seconds, when a job gives no usable job_expires
UNRECORDED_KEEP = 7 * 86_400.0  # folders from before records: kept a week
_ID = re.compile(r"[0-9]{1,18}")
_FILE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}\.(json|csv|xlsx)")


@dataclass(frozen=True)
class FolderRecord:
    """Whose job a folder holds, and until when it is kept."""

    site: str  # the gateway's API root, e.g. http://127.0.0.1:8765/api
    created_at: float
    expires: float

    @property
    def expires_at(self) -> float:
        return self.created_at + self.expires

    @classmethod
    def of_job(
        cls, site: str, created_at: float | None, expires: float | None, now: float
    ) -> "FolderRecord":
        """The record of a job, with its start and lifetime made usable."""
        if created_at is None or not math.isfinite(created_at):
            created_at = now
        if expires is None or not math.isfinite(expires) or expires <= 0:
            expires = DEFAULT_LIFETIME
        return cls(site, created_at, expires)


def is_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


def job_folder(root: Path, site_id: str, job_id: str) -> Path:
    """The folder of one job; ValueError unless both ids are digits."""
    if not (is_id(site_id) and is_id(job_id)):
        raise ValueError("site and job ids must be digits")
    return root / site_id / job_id


def find_file(root: Path, site_id: str, job_id: str, name: str) -> Path | None:
    """The path of a file the job produced, or None for anything else."""
    if not (is_id(site_id) and is_id(job_id) and _FILE_NAME.fullmatch(name)):
        return None

    real_root = root.resolve()
    folder = real_root / site_id / job_id
    path = folder / name
    # A link anywhere below the root could lead out of it: none is followed.
    if any(p.is_symlink() for p in (folder.parent, folder, path)):
        return None
    resolved = path.resolve()
    if resolved.parent != folder or not resolved.is_file():
        return None
    return resolved


def content_type(name: str) -> str:
    return CONTENT_TYPES[name.rsplit(".", 1)[-1]]


def claim_folder(root: Path, site_id: str, job_id: str, record: FolderRecord) -> Path:
    """The job's folder, ready for this run of the job, with its record.

    A folder made for another site URL (or for an unknown one) is removed
    first, so that nothing of another gateway's job is served as this one's.
    A link where a folder should be is removed (never followed). Raises
    OSError when the folder cannot be made.
    """
    real_root = root.resolve()
    site = _real_folder(job_folder(real_root, site_id, job_id).parent)
    folder = site / job_id
    if folder.is_symlink():
        log.warning("removing the link %s: job folders are never links", folder)
        folder.unlink()
    elif folder.is_dir():
        previous = read_record(folder)
        if previous is None or not same_site(previous.site, record.site):
            log.info("job folder %s was another site's job; replacing it", folder)
            _remove_folder(real_root, folder)

    folder.mkdir(exist_ok=True)
    _write_record(folder, record)
    return folder


def read_record(folder: Path) -> FolderRecord | None:
    """The folder's record, or None when it has none or it cannot be read."""
    path = folder / RECORD_NAME
    if path.is_symlink():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
        return FolderRecord(
            site=str(data["site"]),
            created_at=float(data["created_at"]),
            expires=float(data["expires"]),
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None


def write_files(folder: Path, table: ReportTable, formats: Sequence[str]) -> list[str]:
    """Write the table in each format asked for; return the file names."""
    if folder.is_symlink() or not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a job folder")
    # A job run again replaces its files: nothing of the last run stays.
    for old in folder.iterdir():
        if _FILE_NAME.fullmatch(old.name) and (old.is_symlink() or old.is_file()):
            old.unlink()

    names = []
    for extension in ("json", "csv", "xlsx"):
        if extension not in formats:
            continue
        name = f"{table.script}.{extension}"
        temporary = folder / f".{name}.part"
        WRITERS[extension](temporary, table)
        os.replace(temporary, folder / name)
        names.append(name)

    log.info("wrote %s in %s", ", ".join(names), folder)
    return names


def sweep(root: Path, now: float, running: Container[object] = ()) -> int:
    """Remove the folders of expired jobs (not running ones); return how many.

    A folder with no record is kept UNRECORDED_KEEP after its last change.
    Links and anything that is not a job folder are left alone.
    """
    real_root = root.resolve()
    removed = 0
    for site in _subfolders(real_root):
        for folder in _subfolders(site):
            if (site.name, folder.name) in running:
                continue
            record = read_record(folder)
            try:
                if record is not None:
                    expires_at = record.expires_at
                else:
                    expires_at = folder.stat().st_mtime + UNRECORDED_KEEP
                if expires_at <= now:
                    _remove_folder(real_root, folder)
                    removed += 1
            except OSError as exc:
                log.warning(
                    "could not remove the expired job folder %s: %s", folder, exc
                )

        # An emptied site folder goes too; one still in use stays.
        with contextlib.suppress(OSError):
            site.rmdir()

    if removed:
        log.info("removed %d expired job folders from %s", removed, real_root)
    return removed


def _subfolders(folder: Path) -> list[Path]:
    """The real (not linked) sub-folders of folder whose names are ids."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    return [
        entry
        for entry in entries
        if is_id(entry.name) and not entry.is_symlink() and entry.is_dir()
    ]


def _real_folder(path: Path) -> Path:
    """path as a real folder: made if missing, a link in its place removed."""
    if path.is_symlink():
        log.warning("removing the link %s: site folders are never links", path)
        path.unlink()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _remove_folder(real_root: Path, folder: Path) -> None:
    """Delete a job folder, only if it really is one inside the root."""
    if folder.is_symlink() or folder.resolve().parent.parent != real_root:
        raise OSError(f"{folder} is not a job folder inside {real_root}")
    # rmtree removes links it meets inside, never what they point to.
    shutil.rmtree(folder)


def _write_record(folder: Path, record: FolderRecord) -> None:
    path = folder / RECORD_NAME
    temporary = folder / f"{RECORD_NAME}.part"
    temporary.write_text(json.dumps(asdict(record)), "utf-8")
    os.replace(temporary, path)
