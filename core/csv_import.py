"""CSV import plumbing shared by every import command: reading, line numbers, rejects, reports.

Line numbers are the ones an editor shows: the header is line 1, the first
data row line 2. A file with any rejected row loads nothing unless the caller
asked to skip invalid rows; then the rejects are written, with reasons, to
`<file>.rejected.csv` beside the input.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

T = TypeVar("T")


class ImportFileError(Exception):
    """The file as a whole cannot be read (missing, not UTF-8, header columns missing)."""


@dataclass(frozen=True)
class RowError:
    line: int  # editor line number for files, 0-based index for JSON lists
    field: str
    reason: str
    raw: tuple = ()

    def as_dict(self, *, position_name: str = "line") -> dict:
        return {position_name: self.line, "field": self.field, "reason": self.reason}

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


class RowRejected(Exception):
    def __init__(self, field_name: str, reason: str):
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


@dataclass
class ImportReport:
    read: int = 0
    loaded: int = 0
    created: int = 0
    updated: int = 0
    rejected: list[RowError] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [
            _("read %(n)d") % {"n": self.read},
            _("loaded %(n)d") % {"n": self.loaded},
            _("created %(n)d") % {"n": self.created},
            _("updated %(n)d") % {"n": self.updated},
            _("rejected %(n)d") % {"n": len(self.rejected)},
            _("%(s).2f s") % {"s": self.seconds},
        ]
        return ", ".join(parts)


def check_header(header: Iterable[str], *, columns: Iterable[str]) -> None:
    """Raise ImportFileError naming the columns `header` lacks."""
    header = set(header)
    columns = list(columns)
    missing = [c for c in columns if c not in header]
    if missing:
        raise ImportFileError(
            _("line 1: header lacks column(s) %(missing)s; expected %(expected)s")
            % {"missing": ", ".join(missing), "expected": ",".join(columns)}
        )


def open_csv(path: Path | str, *, columns: Iterable[str]):
    """Open a CSV file and read its header: (handle, csv reader, stripped header names).

    ImportFileError when the file is missing, empty, not UTF-8 or its header lacks
    a column; the caller closes the handle.
    """
    path = Path(path)
    if not path.exists():
        raise ImportFileError(_("%(path)s: no such file") % {"path": path})
    handle = path.open(newline="", encoding="utf-8-sig")
    reader = csv.reader(handle)
    try:
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise ImportFileError(
                _("%(path)s: the file is empty; expected a header row") % {"path": path}
            ) from None
        except UnicodeDecodeError:
            raise ImportFileError(_("%(path)s: not UTF-8 text") % {"path": path}) from None
        check_header(header, columns=columns)
    except ImportFileError:
        handle.close()
        raise
    return handle, reader, header


def read_csv_rows(
    path: Path | str, *, columns: Iterable[str]
) -> Iterator[tuple[int, dict[str, str | None]]]:
    """Yield (line number, row) for each data row; raise ImportFileError when the header lacks a column."""
    handle, reader, header = open_csv(path, columns=columns)
    try:
        width = len(header)
        for line, values in csv_lines(reader):
            row: dict[str, str | None] = {
                name: (values[i].strip() if i < len(values) else None)
                for i, name in enumerate(header)
            }
            if len(values) > width:
                row["__extra__"] = ",".join(values[width:])
            yield line, row
    finally:
        handle.close()


def csv_lines(reader) -> Iterator[tuple[int, list[str]]]:
    """(editor line, values) of each non-blank row of a csv reader; ImportFileError on bad text."""
    line = 1
    try:
        for values in reader:
            line = reader.line_num
            # A blank line is skipped; the cheap test first (a million rows go through here).
            if not values or (not values[0].strip() and all(not v.strip() for v in values)):
                continue
            yield line, values
    except UnicodeDecodeError:
        raise ImportFileError(_("line %(line)d: not UTF-8 text") % {"line": line + 1}) from None
    except csv.Error as exc:
        raise ImportFileError(
            _("line %(line)d: %(error)s") % {"line": reader.line_num, "error": exc}
        ) from None


def rejects_path(path: Path | str) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".rejected.csv")


def write_rejects(path: Path | str, rejected: list[RowError], *, columns: Iterable[str]) -> Path:
    """Write the rejected rows with their line and reason beside the input file."""
    target = rejects_path(path)
    columns = list(columns)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "field", "reason", *columns])
        for error in rejected:
            writer.writerow([error.line, error.field, error.reason, *error.raw])
    return target


# --- Row validation: every import's column checks and messages -------------------------------


def present(row: Mapping, name: str):
    """The row's value of `name` (possibly empty); RowRejected when the row lacks the column."""
    value = row.get(name)
    if value is None:
        raise RowRejected(name, _("missing column"))
    return value


def require_columns(row: Mapping, names: Iterable[str]) -> None:
    """RowRejected naming the first of `names` the row lacks."""
    for name in names:
        present(row, name)


def optional(row: Mapping, name: str, *, required: bool):
    """The value of `name`; None when empty and not `required`, RowRejected when required."""
    value = present(row, name)
    if value == "":
        if required:
            raise RowRejected(name, _("required, but empty"))
        return None
    return value


def require(row: Mapping, name: str):
    """The non-empty value of `name`."""
    return optional(row, name, required=True)


def required_text(row: Mapping, name: str) -> str:
    """The non-empty value of `name` as stripped text (a JSON row may carry a number)."""
    value = present(row, name)
    text = value.strip() if isinstance(value, str) else str(value)
    if text == "":
        raise RowRejected(name, _("required, but empty"))
    return text


def check_length(name: str, value: str, *, limit: int) -> str:
    if len(value) > limit:
        raise RowRejected(name, _("longer than %(n)d characters") % {"n": limit})
    return value


def check_choice(name: str, value: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    if value not in choices:
        raise RowRejected(
            name,
            _("%(value)r is not one of %(choices)s")
            % {"value": value, "choices": ", ".join(choices)},
        )
    return value


def parse_non_negative_int(row: Mapping, name: str, *, required: bool = True) -> int | None:
    value = optional(row, name, required=required)
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise RowRejected(name, _("%(value)r is not a whole number") % {"value": value}) from None
    if number < 0:
        raise RowRejected(name, _("%(value)s is negative; must be 0 or more") % {"value": value})
    return number


# --- The collect-errors loop ----------------------------------------------------------------


def row_error(position: int, exc: RowRejected, *, row: Mapping, columns: Iterable[str]) -> RowError:
    """The RowError of a rejected row, carrying its values of `columns` for the rejects file."""
    raw = tuple("" if row.get(c) is None else row.get(c) for c in columns)
    return RowError(position, exc.field, exc.reason, raw)


def parsed_rows(
    rows: Iterable[tuple[int, Any]],
    *,
    parse: Callable[[Any], T],
    report: ImportReport,
    columns: Iterable[str],
    as_dict: Callable[[Any], Mapping] | None = None,
) -> Iterator[T]:
    """Parse every row, yielding each accepted one and collecting a RowError for each rejected one.

    Every row is parsed even after a rejection, so the report names every bad row;
    `report.read` counts them all. `as_dict` turns a rejected row into the mapping
    its values are read from (the row itself by default).
    """
    columns = tuple(columns)
    for position, row in rows:
        report.read += 1
        try:
            parsed = parse(row)
        except RowRejected as exc:
            values = as_dict(row) if as_dict is not None else row
            report.rejected.append(row_error(position, exc, row=values, columns=columns))
            continue
        yield parsed


def loads_nothing(report: ImportReport, *, skip_invalid: bool) -> bool:
    """A file with any rejected row loads nothing unless the caller asked to skip invalid rows."""
    return bool(report.rejected) and not skip_invalid


class ImportCommand(BaseCommand):
    """Base of `import_*` commands: FILE and --skip-invalid, a report, a non-zero exit on rejects."""

    columns: tuple[str, ...] = ()
    # No system checks before an import: they load every URL, view and serializer
    # (~0.4 s of a daily feed's run) and check nothing the import relies on;
    # `check`, `migrate` and the web processes run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("CSV file (UTF-8, header row)"))
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help=_("load the valid rows and write the rejected ones beside the input"),
        )

    def run_import(self, *, path: Path, skip_invalid: bool, progress) -> ImportReport:
        raise NotImplementedError

    def handle(self, *args, **options):
        path = Path(options["file"])
        started = time.monotonic()
        try:
            report = self.run_import(
                path=path, skip_invalid=options["skip_invalid"], progress=options["verbosity"] > 0
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            raise CommandError(
                _(
                    "the database connection failed during the import (%(error)s); the import is "
                    "one transaction, so nothing was loaded: run it again"
                )
                % {"error": str(exc).strip()}
            ) from None
        report.seconds = time.monotonic() - started
        if report.rejected and not options["skip_invalid"]:
            for error in report.rejected[:1000]:
                self.stderr.write(str(error))
            if len(report.rejected) > 1000:
                self.stderr.write(_("… and %(n)d more") % {"n": len(report.rejected) - 1000})
            raise CommandError(
                _(
                    "%(n)d row(s) rejected; nothing was loaded (use --skip-invalid to load the valid rows)"
                )
                % {"n": len(report.rejected)}
            )
        if report.rejected:
            target = write_rejects(path, report.rejected, columns=self.columns)
            self.stderr.write(
                _("%(n)d row(s) rejected, written with reasons to %(target)s")
                % {"n": len(report.rejected), "target": target}
            )
        for code in report.registered:
            self.stderr.write(
                _("registered unknown code %(code)s with category/kind 'other'") % {"code": code}
            )
        self.stdout.write(report.summary())
