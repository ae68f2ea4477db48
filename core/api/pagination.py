"""Keyset ("cursor") pagination over a unique ordering, for lists of any length.

DRF's CursorPagination positions on the first ordering field only and skips
ties with an offset, and breaks on NULL sort values. Here the position is the
pair (sort value, unique tie-breaker), so every page is one indexed range
query whatever the ordering and however deep the page, and rows inserted
meanwhile never shift a page. The view declares:

- `ordering_fields`: {public name: (queryset field or annotation, type)}; the
  sort values must not be NULL (annotate with Coalesce);
- `default_ordering`: a public name, optionally prefixed with "-";
- `keyset_tiebreak`: (unique field, type), e.g. ("external_id", "str"); optionally
  `keyset_tiebreaks`: {public name: (unique field, type)} for orderings whose
  ties another unique field breaks (the one an index on the sort key holds).

A view may also define `keyset_parts(queryset, key, *, descending) ->
list[QuerySet]`: the list as consecutive querysets in ascending order of the
sort key, each with `key` annotated (e.g. the rows with a value, by a column
an index serves, and the rows without one, under a constant key past the
others in the requested direction). The page reads them in turn, in its own
direction, and stops once it is full.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
from collections import OrderedDict

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from .errors import InvalidParameter


def _coerce(value, kind: str):
    """Turn a cursor value back into its type; ValueError/TypeError when it was tampered with."""
    if kind == "str":
        if not isinstance(value, str) or "\x00" in value:
            raise ValueError(value)
        value.encode("utf-8")  # UnicodeEncodeError on a lone surrogate (a forged cursor)
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**63:
            raise TypeError(value)
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(value)
        if not math.isfinite(value):
            raise ValueError(value)
        return float(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    raise ValueError(kind)


def _plain(value):
    return value.isoformat() if isinstance(value, dt.date) else value


class KeysetPagination(BasePagination):
    page_size = 50
    max_page_size = 200
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    ordering_query_param = "ordering"

    # --- parameters -------------------------------------------------------------------
    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise InvalidParameter(
                self.page_size_query_param, _("Must be a whole number.")
            ) from None
        if not 1 <= size <= self.max_page_size:
            raise InvalidParameter(
                self.page_size_query_param,
                _("Must be between 1 and %(max)d.") % {"max": self.max_page_size},
            )
        return size

    @staticmethod
    def ordering_choices(view) -> list[str]:
        return [choice for name in view.ordering_fields for choice in (name, f"-{name}")]

    def _ordering(self, request, view) -> tuple[str, bool]:
        raw = request.query_params.get(self.ordering_query_param, view.default_ordering)
        if raw not in self.ordering_choices(view):
            raise InvalidParameter(
                self.ordering_query_param,
                _("Must be one of %(choices)s.")
                % {"choices": ", ".join(self.ordering_choices(view))},
            )
        return raw.lstrip("-"), raw.startswith("-")

    def _decode_cursor(self, raw: str, ordering: str, kinds: list[str]):
        try:
            payload = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"==="))
            if payload["o"] != ordering:
                raise ValueError("ordering")
            values = [_coerce(v, k) for v, k in zip(payload["v"], kinds, strict=True)]
            return values, bool(payload["r"])
        # RecursionError: a forged cursor of deeply nested JSON.
        except (ValueError, TypeError, KeyError, UnicodeError, RecursionError, binascii.Error):
            raise InvalidParameter(
                self.cursor_query_param,
                _("Invalid cursor; use the next/previous links as given, with the same ordering."),
            ) from None

    def _encode_cursor(self, ordering: str, values: list, reverse: bool) -> str:
        payload = {"o": ordering, "v": [_plain(v) for v in values], "r": int(reverse)}
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")

    # --- paging -------------------------------------------------------------------------
    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self._page_size(request)
        name, descending = self._ordering(request, view)
        key, key_kind = view.ordering_fields[name]
        tie, tie_kind = getattr(view, "keyset_tiebreaks", {}).get(name, view.keyset_tiebreak)
        fields = [tie] if key == tie else [key, tie]
        kinds = [tie_kind] if key == tie else [key_kind, tie_kind]
        ordering = ("-" if descending else "") + name
        self.ordering, self.fields = ordering, fields

        raw_cursor = request.query_params.get(self.cursor_query_param)
        values, reverse = (
            self._decode_cursor(raw_cursor, ordering, kinds) if raw_cursor else (None, False)
        )
        backwards = descending != reverse
        op = "lt" if backwards else "gt"
        condition = None
        if values is not None:
            condition = Q(**{f"{fields[-1]}__{op}": values[-1]})
            if len(fields) == 2:
                # The first term repeats the rest's bound on the sort key alone, so that an
                # index on the key starts its scan there.
                condition = Q(**{f"{fields[0]}__{op}e": values[0]}) & (
                    Q(**{f"{fields[0]}__{op}": values[0]})
                    | (Q(**{fields[0]: values[0]}) & condition)
                )
        parts = (
            view.keyset_parts(queryset, key, descending=descending)
            if hasattr(view, "keyset_parts")
            else [queryset]
        )
        rows = []
        for part in reversed(parts) if backwards else parts:
            if condition is not None:
                part = part.filter(condition)
            part = part.order_by(*[("-" if backwards else "") + f for f in fields])
            rows += part[: size + 1 - len(rows)]
            if len(rows) > size:
                break
        has_more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()

        self.next_cursor = self.previous_cursor = None
        if rows:
            if (not reverse and has_more) or (reverse and values is not None):
                self.next_cursor = self._encode_cursor(ordering, self._position(rows[-1]), False)
            if (reverse and has_more) or (not reverse and values is not None):
                self.previous_cursor = self._encode_cursor(ordering, self._position(rows[0]), True)
        elif values is not None:
            # Past either end: offer the way back from where the cursor points.
            if reverse:
                self.next_cursor = self._encode_cursor(ordering, values, False)
            else:
                self.previous_cursor = self._encode_cursor(ordering, values, True)
        return rows

    def _position(self, row) -> list:
        return [getattr(row, f) for f in self.fields]

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        return replace_query_param(
            self.request.build_absolute_uri(), self.cursor_query_param, cursor
        )

    def get_paginated_response(self, data):
        return Response(
            OrderedDict(
                [
                    ("next", self._link(self.next_cursor)),
                    ("previous", self._link(self.previous_cursor)),
                    ("results", data),
                ]
            )
        )

    # --- schema -------------------------------------------------------------------------
    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    **link,
                    "description": str(_("Link to the next page, or null.")),
                    "example": "https://frontline.example.com/api/v1/accounts/?cursor=eyJvIjoibmFtZSJ9",
                },
                "previous": {
                    **link,
                    "description": str(_("Link to the previous page, or null.")),
                    "example": None,
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": str(
                    _("Opaque position from a `next`/`previous` link; omit for the first page.")
                ),
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": str(_("Rows per page (default %(n)d).") % {"n": self.page_size}),
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
            {
                "name": self.ordering_query_param,
                "required": False,
                "in": "query",
                "description": str(
                    _("Sort key; prefix with '-' for descending (default %(default)s).")
                    % {"default": view.default_ordering}
                ),
                "schema": {"type": "string", "enum": self.ordering_choices(view)},
            },
        ]
