"""A report's rows written as JSON, CSV and Excel files.

Text in a row may come from the gateway (a vehicle's name), and a
spreadsheet runs text that starts with = + - @ (or a tab or a carriage
return) as a formula: `=HYPERLINK(...)` as a name would be a live link in
the user's sheet. So in the CSV such text gets a leading apostrophe, which
spreadsheets read as "this is text"; in the xlsx every text cell is
written as a string, never a formula, and such text is also marked
quote-prefixed so that editing the cell keeps it text. Numbers stay
numbers. Wall times are real date-time cells in the xlsx.
"""

import csv
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_TIME_WIDTH = 19  # what Excel needs to show yyyy-mm-dd hh:mm:ss
MIN_WIDTH, MAX_WIDTH = 8, 60
_SHEET_TITLE_LIMIT = 31


@dataclass
class ReportTable:
    """The rows of one report and what is said about them in the files."""

    script: str
    title: str
    columns: Sequence[str]
    rows: list[dict[str, Any]]
    about: dict[str, Any] = field(default_factory=dict)
    time_columns: Sequence[str] = ()


Writer = Callable[[Path, ReportTable], None]


def write_json(path: Path, table: ReportTable) -> None:
    document = {
        "script": table.script,
        "title": table.title,
        **table.about,
        "columns": list(table.columns),
        "rows": [{c: row.get(c) for c in table.columns} for row in table.rows],
    }
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False), "utf-8")


def write_csv(path: Path, table: ReportTable) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([csv_value(c) for c in table.columns])
        for row in table.rows:
            writer.writerow([csv_value(row.get(c)) for c in table.columns])


def write_xlsx(path: Path, table: ReportTable) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.title[:_SHEET_TITLE_LIMIT])
    # A write-only sheet takes its column widths before its first row.
    for index, width in enumerate(_widths(table), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = _cell(sheet, column)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    times = set(table.time_columns)
    for row in table.rows:
        sheet.append([_cell(sheet, row.get(c), c in times) for c in table.columns])
    book.save(path)


WRITERS: dict[str, Writer] = {"json": write_json, "csv": write_csv, "xlsx": write_xlsx}


def csv_value(value: Any) -> Any:
    """A value as a CSV cell: empty for none, true/false, text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(sheet: Any, value: Any, is_time: bool = False) -> Any:
    if is_time and isinstance(value, str):
        moment = _wall_time(value)
        if moment is not None:
            cell = WriteOnlyCell(sheet, value=moment)
            cell.number_format = DATE_TIME_FORMAT
            return cell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        # openpyxl makes text that starts with "=" a formula; never here.
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    return cell


def _wall_time(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is None else None


def _widths(table: ReportTable) -> list[float]:
    """A width per column that shows its header and its longest value."""
    times = set(table.time_columns)
    widths = []
    for column in table.columns:
        longest = len(column) + 2  # room for the bold header
        if column in times:
            longest = max(longest, DATE_TIME_WIDTH)
        for row in table.rows:
            value = row.get(column)
            if value is not None and column not in times:
                longest = max(longest, len(str(value)))
        widths.append(float(min(max(longest + 1, MIN_WIDTH), MAX_WIDTH)))
    return widths
