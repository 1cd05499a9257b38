"""Report files: written into a job's folder, and found again safely.

A job's files live in `<root>/<site_id>/<job_id>/`. No path is ever built
from unchecked text: ids must be digits, file names must match a strict
pattern (a lowercase report name and one of our extensions, so no dots,
slashes, backslashes or hidden files), and the resolved path must still be
inside the job's folder. Files are written under a hidden temporary name
and renamed, so a half-written file is never served.
"""

import csv
import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_ID = re.compile(r"[0-9]{1,18}")
_FILE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}\.(json|csv|xlsx)")
_SHEET_TITLE_LIMIT = 31


@dataclass
class ReportTable:
    """The rows of one report and what is said about them in the files."""

    script: str
    title: str
    columns: Sequence[str]
    rows: list[dict[str, Any]]
    about: dict[str, Any] = field(default_factory=dict)


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

    folder = job_folder(root, site_id, job_id).resolve()
    path = (folder / name).resolve()
    # resolve() follows links: a link out of the folder fails this check.
    if path.parent != folder or not path.is_file():
        return None
    return path


def content_type(name: str) -> str:
    return CONTENT_TYPES[name.rsplit(".", 1)[-1]]


def write_files(folder: Path, table: ReportTable, formats: Sequence[str]) -> list[str]:
    """Write the table in each format asked for; return the file names."""
    # TODO(engine): job folders are never removed (job_expires is read but
    # unused), so the files folder grows until the user empties it.
    folder.mkdir(parents=True, exist_ok=True)
    # A job run again replaces its files: nothing of the last run stays.
    for old in folder.iterdir():
        if old.is_file() and _FILE_NAME.fullmatch(old.name):
            old.unlink()

    writers = {"json": _write_json, "csv": _write_csv, "xlsx": _write_xlsx}
    names = []
    for extension in ("json", "csv", "xlsx"):
        if extension not in formats:
            continue
        name = f"{table.script}.{extension}"
        temporary = folder / f".{name}.part"
        writers[extension](temporary, table)
        os.replace(temporary, folder / name)
        names.append(name)

    log.info("wrote %s in %s", ", ".join(names), folder)
    return names


def _write_json(path: Path, table: ReportTable) -> None:
    document = {
        "script": table.script,
        "title": table.title,
        **table.about,
        "columns": list(table.columns),
        "rows": [{c: row.get(c) for c in table.columns} for row in table.rows],
    }
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False), "utf-8")


def _write_csv(path: Path, table: ReportTable) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(table.columns)
        for row in table.rows:
            writer.writerow([_csv_value(row.get(c)) for c in table.columns])


def _write_xlsx(path: Path, table: ReportTable) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.title[:_SHEET_TITLE_LIMIT])
    bold = Font(bold=True)

    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    for row in table.rows:
        sheet.append([row.get(c) for c in table.columns])
    book.save(path)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
