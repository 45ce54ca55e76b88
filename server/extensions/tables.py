"""Tables as files people open in Excel (CSV with a byte-order mark, XLSX), with the one rule
for what goes into a cell: text that would start a formula is made inert (OWASP CSV
injection) — names come from admins and GeoJSON imports, descriptions from the public."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def inert(value: Any) -> Any:
    """A cell a spreadsheet shows and never runs: text that would start a formula is prefixed
    with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_chunks(rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """CSV, row by row (for a streamed answer); the byte-order mark makes Excel read UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    for row in rows:
        writer.writerow([inert(value) for value in row])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()


SPOOL_BYTES = 8 * 1024 * 1024  # a file larger than this is spooled to a temporary file


def spooled(rows: Iterable[list[Any]], fmt: str, *, title: str) -> IO[bytes]:
    """The table as a CSV or XLSX file, rewound: in memory while small, in a temporary file
    when large, so a big export holds neither the rows nor the file in memory; the answer
    streams it from there (flask.send_file)."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    if fmt == "xlsx":
        _write_xlsx(rows, title, spool)
    else:
        for chunk in csv_chunks(rows):
            spool.write(chunk)
    spool.seek(0)
    return spool


def xlsx(rows: Iterable[list[Any]], *, title: str) -> bytes:
    """An XLSX workbook of one sheet, as bytes (small tables)."""
    buffer = io.BytesIO()
    _write_xlsx(rows, title, buffer)
    return buffer.getvalue()


def _write_xlsx(rows: Iterable[list[Any]], title: str, out: IO[bytes]) -> None:
    """One sheet; the first row is the header (bold, frozen). openpyxl's write-only mode:
    memory stays flat however many rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    for number, row in enumerate(rows):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=inert(value))
            if isinstance(value, str):
                cell.data_type = "s"  # text is a string cell, never a formula
            if number == 0:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    workbook.save(out)
