"""A report's rows written as JSON, CSV and Excel files.

Text in a row may come from the gateway (a vehicle's name), and a
spreadsheet runs text that starts with = + - @ (or a tab or a carriage
return) as a formula: `=HYPERLINK(...)` as a name would be a live link in
the user's sheet. Spreadsheets also look past leading blanks (spaces,
non-breaking spaces, zero-width characters) and read the full-width signs
＝ ＋ － ＠ as their plain forms. So in the CSV such text gets a leading
apostrophe, which spreadsheets read as "this is text"; in the xlsx every
text cell is written as a string, never a formula, and such text is also
marked quote-prefixed so that editing the cell keeps it text. Numbers stay
numbers. Wall times are real date-time cells in the xlsx.

Text is cleaned the same way for every format before it is written:
control characters (but tab, line feed and carriage return) are dropped,
since an xlsx cannot hold them, and a lone surrogate (half of a character,
which no file encoding can hold) becomes U+FFFD. One odd vehicle name must
not cost the user the whole report.
"""

import csv
import datetime as dt
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.jsonlimits import replace_lone_surrogates

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What a spreadsheet reads as the start of a formula once past leading blanks:
# the plain signs, their full-width forms and the small forms of = + -.
FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63")
# Characters that take no room, which a spreadsheet skips like a space.
INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e")
# Control characters but tab, line feed and carriage return.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
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
    text = json.dumps(_clean_json(document), indent=1, ensure_ascii=False)
    path.write_text(text, "utf-8")


def write_csv(path: Path, table: ReportTable) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([csv_value(c) for c in table.columns])
        for row in table.rows:
            writer.writerow([csv_value(row.get(c)) for c in table.columns])


def write_xlsx(path: Path, table: ReportTable) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(clean_text(table.title)[:_SHEET_TITLE_LIMIT])
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
    """A value as a CSV cell: empty for none, true/false, text cleaned and
    defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = clean_text(value)
        return "'" + text if starts_formula(text) else text
    return value


def clean_text(text: str) -> str:
    """text without control characters (but tab and line ends), and with
    U+FFFD for each lone surrogate."""
    return replace_lone_surrogates(_CONTROL.sub("", text))


def starts_formula(text: str) -> bool:
    """Whether a spreadsheet would read text as a formula (or a tab's data)."""
    if text.startswith(FORMULA_STARTS):
        return True
    for character in text:
        if character.isspace() or character in INVISIBLE:
            continue
        return character in FORMULA_SIGNS
    return False


def _clean_json(value: Any) -> Any:
    """value with every text cleaned and NaN or infinity (no JSON) as null."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(item) for item in value]
    return value


def _cell(sheet: Any, value: Any, is_time: bool = False) -> Any:
    if is_time and isinstance(value, str):
        moment = _wall_time(value)
        if moment is not None:
            cell = WriteOnlyCell(sheet, value=moment)
            cell.number_format = DATE_TIME_FORMAT
            return cell

    if isinstance(value, str):
        value = clean_text(value)
    elif isinstance(value, float) and not math.isfinite(value):
        value = None  # an xlsx cannot hold NaN or infinity
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        # openpyxl makes text that starts with "=" a formula; never here.
        cell.data_type = "s"
        if starts_formula(value):
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
