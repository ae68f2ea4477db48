"""Reading a feed CSV file as lists of values, with core.csv_import's file checks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from core.csv_import import csv_lines, open_csv


class CsvFeedFile:
    """A feed CSV read as (editor line, list of values), with core.csv_import.read_csv_rows' checks.

    Lists instead of dicts: building a dict per row costs more than the whole
    rest of the fast path on a million rows. Same file errors, header check,
    blank-line skipping and line numbers as read_csv_rows.
    """

    def __init__(self, path: Path | str, *, columns: Iterable[str]):
        self.path = Path(path)
        self.handle, self.reader, self.header = open_csv(self.path, columns=columns)

    def plain(self) -> bool:
        """No quoted values and distinct header names: a data row is exactly one line of the file.

        Only then does PostgreSQL's COPY see the same rows, in the same order,
        with the same line numbers (header + record index) as the csv module.
        """
        if len(set(self.header)) != len(self.header):
            return False
        with self.path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                if b'"' in chunk:
                    return False
        return True

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        try:
            yield from csv_lines(self.reader)
        finally:
            self.handle.close()
