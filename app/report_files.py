"""Whether a downloaded report file is what its name says it is.

A report's files are named for their format (trips.csv, trips.xlsx). The
check reads each one as that format: a CSV must have a header row and rows
as wide as it, a JSON file must parse, an xlsx must open as a workbook. It
is what a user would see on opening the file, told in a few words.
"""

import csv
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from app.errors import PegasusError
from app.plurals import counted

# Far above any demo report; a bigger file is not read whole to be checked.
MAX_CHECKED_BYTES = 50 * 1024 * 1024


class ReportFileError(PegasusError):
    """A report file is empty, or not in the format its name says."""


def check_report_file(path: Path) -> str:
    """What the file holds, in a few words; ReportFileError if it is wrong.

    A file whose extension has no check here only has to be non-empty.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReportFileError(f"{path.name} cannot be read: {exc.strerror}") from exc
    if size == 0:
        raise ReportFileError(f"{path.name} is empty")
    if size > MAX_CHECKED_BYTES:
        raise ReportFileError(f"{path.name} is too big to check ({size:,} bytes)")

    check = CHECKS.get(path.suffix.lower())
    if check is None:
        return f"{path.name}: {size:,} bytes (its format is not checked)"
    try:
        return check(path)
    except OSError as exc:
        raise ReportFileError(f"{path.name} cannot be read: {exc.strerror}") from exc


def _check_csv(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8-sig")
        rows = list(csv.reader(text.splitlines()))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ReportFileError(f"{path.name} is not CSV text: {exc}") from exc

    if not rows or not all(name.strip() for name in rows[0]):
        raise ReportFileError(f"{path.name} has no header row of column names")
    header, body = rows[0], rows[1:]
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ReportFileError(
                f"{path.name}: line {number} has {len(row)} fields, "
                f"the header {len(header)}"
            )
    columns = counted(len(header), "column")
    return f"{path.name} is CSV: a header of {columns} and {counted(len(body), 'row')}"


def _check_json(path: Path) -> str:
    try:
        document = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportFileError(f"{path.name} is not JSON: {exc}") from exc

    rows = document.get("rows") if isinstance(document, dict) else None
    if isinstance(rows, list):
        return f"{path.name} is JSON: {counted(len(rows), 'row')}"
    kind = "an object" if isinstance(document, dict) else "a list"
    if not isinstance(document, dict | list):
        kind = "a single value"
    return f"{path.name} is JSON: {kind}"


def _check_xlsx(path: Path) -> str:
    # Imported here: only the reports' files need it, not the app's start.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        raise ReportFileError(f"{path.name} does not open as a workbook") from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise ReportFileError(f"{path.name} is a workbook without sheets")
        rows = sum(1 for _ in sheet.iter_rows(values_only=True))
        title = sheet.title
    finally:
        workbook.close()
    return f"{path.name} opens as a workbook: sheet {title!r}, {counted(rows, 'row')}"


CHECKS: dict[str, Callable[[Path], str]] = {
    ".csv": _check_csv,
    ".json": _check_json,
    ".xlsx": _check_xlsx,
}
