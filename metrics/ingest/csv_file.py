"""Reading a feed CSV file as lists of values, with core.csv_import's file checks."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from core.csv_import import (
    ImportFileError,
    open_csv,
)


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
        reader = self.reader
        line = 1
        try:
            for values in reader:
                line = reader.line_num
                if not values or (not values[0].strip() and all(not v.strip() for v in values)):
                    continue  # a blank line (same rule as read_csv_rows), cheap test first
                yield line, values
        except UnicodeDecodeError:
            raise ImportFileError(_("line %(line)d: not UTF-8 text") % {"line": line + 1}) from None
        except csv.Error as exc:
            raise ImportFileError(
                _("line %(line)d: %(error)s") % {"line": reader.line_num, "error": exc}
            ) from None
        finally:
            self.handle.close()
