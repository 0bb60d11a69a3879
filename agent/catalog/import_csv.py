"""Reading catalog CSV files as spreadsheets save them: any delimiter, BOM, Excel's encodings."""

from __future__ import annotations

import csv
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from agent.catalog.import_own import column_name
from agent.errors import InvalidInputError

# UTF-8 first; Excel on Windows saves "CSV" in cp1252; latin-1 reads any byte at all.
_ENCODINGS = ("utf-8-sig", "cp1252")
_LAST_RESORT = "latin-1"
_DELIMITERS = (",", ";", "\t", "|")

Record = tuple[int, dict[str, str]]
"""A data row: the file line it starts on, and its cells by canonical column name."""


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """How a CSV file is written, and how many data rows it holds."""

    encoding: str
    delimiter: str
    preamble: int
    header: tuple[str, ...]
    records: int


def inspect_csv(path: Path) -> CsvLayout:
    """Encoding, delimiter and header of a CSV file, and its number of data rows (one pass)."""
    for encoding in _ENCODINGS:
        try:
            return _inspect(path, encoding)
        except UnicodeDecodeError:
            continue
    return _inspect(path, _LAST_RESORT)


def _inspect(path: Path, encoding: str) -> CsvLayout:
    try:
        handle = path.open(encoding=encoding, newline="")
    except OSError as err:
        raise InvalidInputError(f"cannot read {path}: {err.strerror}") from err
    with handle:
        first = handle.readline()
        preamble = 0
        # Excel writes `sep=;` on the first line when asked to keep the delimiter.
        if first.lower().startswith("sep=") and len(first.strip()) == 5:
            delimiter, preamble = first.strip()[4], 1
            first = handle.readline()
        else:
            delimiter = max(_DELIMITERS, key=first.count) if first.strip() else ","
        handle.seek(0)
        for _ in range(preamble):
            handle.readline()
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise InvalidInputError(f"{path.name} is empty: it needs a header row")
        records = sum(1 for record in reader if _has_data(record))
    return CsvLayout(
        encoding=encoding,
        delimiter=delimiter,
        preamble=preamble,
        header=tuple(column_name(cell) for cell in header),
        records=records,
    )


def read_batches(path: Path, layout: CsvLayout, size: int) -> Generator[list[Record], None, None]:
    """The data rows in lists of at most `size`, so a large file never sits in memory whole."""
    with path.open(encoding=layout.encoding, newline="") as handle:
        for _ in range(layout.preamble):
            handle.readline()
        reader = csv.reader(handle, delimiter=layout.delimiter)
        next(reader)
        last_line = reader.line_num
        batch: list[Record] = []
        for record in reader:
            start, last_line = last_line + 1, reader.line_num
            if not _has_data(record):
                continue
            batch.append((start + layout.preamble, dict(zip(layout.header, record, strict=False))))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


def _has_data(record: list[str]) -> bool:
    return any(cell.strip() for cell in record)
