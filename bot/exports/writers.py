"""A table as CSV or Excel bytes, safe to open in a spreadsheet.

- **Formula injection** (OWASP "CSV Injection"): a text cell that starts with `=`, `+`, `-`, `@`, a tab or a
  carriage return would be read as a formula by Excel, LibreOffice or Google Sheets, and a visitor's name or a
  tag is text anyone can type. Every such text cell gets a leading `'`, in both formats, so a cell copied
  from the workbook into another sheet stays inert too. Numbers are written as numbers, never as text.
- **CSV**: RFC 4180 (CRLF, quotes where needed), UTF-8 with a byte-order mark, which is what makes Excel read
  it as UTF-8 rather than the machine's code page.
- **Excel**: XlsxWriter in constant-memory mode (rows go straight to a temporary file, so a year of
  conversations does not sit in memory twice), strings written as strings (`strings_to_formulas`,
  `strings_to_urls` and `strings_to_numbers` off; line breaks as LF, other control characters dropped), a bold
  header row frozen at the top, and an autofilter.
  XlsxWriter is the optional `xlsx` extra; without it an Excel export says how to install it.
- Instants, and a chart's hours, are ISO 8601 with the offset of the bot's time zone (`2026-10-05T09:12:03+02:00`),
  in both formats: Excel dates carry no zone, and the offset is what tells 02:30 before and after a clock
  change apart. A column whose title should say the zone (`Column.zoned`) gets it: "Start (Europe/Berlin)".
"""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.errors import BadArgument
from bot.exports.table import Cell, Column, LocalHour, Table

__all__ = [
    "FORMATS",
    "MIME",
    "Format",
    "neutralise",
    "render",
    "to_csv",
    "to_xlsx",
    "xlsx_available",
]

Format = Literal["csv", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx")
MIME: dict[str, str] = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
# OWASP's list: the four formula signs, and tab and carriage return, which some spreadsheets skip before one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_ROWS = 1_048_576  # rows of one sheet, the header included
XLSX_EXTRA = "pip install 'rocketchat-analytics-bot[xlsx]'"


def neutralise(text: str) -> str:
    """`text` as a spreadsheet shows it, never as a formula: a leading `'` where it could start one."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _text(value: Cell, zone: ZoneInfo) -> str | int | float | None:
    """A cell for a writer: instants as ISO text in `zone`, text neutralised, numbers and blanks as they are."""
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, LocalHour):
        return value.start(zone).isoformat(timespec="seconds")
    if isinstance(value, str):
        return neutralise(value)
    return value


def _title(column: Column, tz: str) -> str:
    """A column's header, neutralised; a zoned column names the zone its times are written in."""
    return neutralise(f"{column.title} ({tz})" if column.zoned else column.title)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _sheet_text(text: str) -> str:
    """Text as an Excel cell holds it: line breaks as LF (a CR would be stored as the escape `_x000D_`, which
    readers show literally) and no other control characters (XML cannot carry them)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _csv_number(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    return format(value, ".3f").rstrip("0").rstrip(".") or "0"


def to_csv(table: Table, tz: str) -> bytes:
    zone = ZoneInfo(tz)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_title(column, tz) for column in table.columns])
    for row in table.rows:
        cells = []
        for value in row:
            shown = _text(value, zone)
            cells.append("" if shown is None else _csv_number(shown) if not isinstance(shown, str) else shown)
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_available() -> bool:
    return importlib.util.find_spec("xlsxwriter") is not None


def to_xlsx(table: Table, tz: str) -> bytes:
    """The table as one worksheet. Raises BadArgument (with the install command) without the `xlsx` extra."""
    try:
        import xlsxwriter  # type: ignore[import-untyped]  # no stubs; only Workbook and worksheet writes are used
    except ImportError:
        raise BadArgument(f"Excel files need the bot's `xlsx` extra, which is not installed ({XLSX_EXTRA}); "
                          "ask for CSV instead (leave out `xlsx`).") from None  # fmt: skip
    if len(table.rows) + 1 > EXCEL_MAX_ROWS:
        raise BadArgument(
            f"{len(table.rows):,} rows do not fit in one Excel sheet (at most {EXCEL_MAX_ROWS - 1:,}); "
            "ask for CSV, or for a shorter range."
        )
    zone = ZoneInfo(tz)
    with tempfile.TemporaryDirectory(prefix="analytics-bot-xlsx-") as folder:
        path = Path(folder) / "export.xlsx"
        options: dict[str, Any] = {
            "constant_memory": True,
            "tmpdir": folder,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        }
        workbook = xlsxwriter.Workbook(str(path), options)
        sheet = workbook.add_worksheet(table.sheet)
        bold = workbook.add_format({"bold": True})
        for col, column in enumerate(table.columns):
            title = _title(column, tz)
            sheet.write_string(0, col, title, bold)
            sheet.set_column(col, col, max(10, min(40, len(title) + 2)))
        for number, row in enumerate(table.rows, start=1):
            for col, value in enumerate(row):
                shown = _text(value, zone)
                if isinstance(shown, str):
                    sheet.write_string(number, col, _sheet_text(shown))
                elif shown is not None:
                    sheet.write_number(number, col, shown)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, len(table.rows), len(table.columns) - 1)
        workbook.close()
        return path.read_bytes()


def render(table: Table, fmt: Format, tz: str) -> bytes:
    return to_xlsx(table, tz) if fmt == "xlsx" else to_csv(table, tz)
