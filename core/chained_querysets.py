"""Several querysets read one after another as one ordered list, for Django's Paginator.

A list whose order puts one kind of row before another (accounts with a status
on the day by score, then those without one) is cheapest as two queries that
each walk an index, rather than one that sorts every row. `ChainedQuerySets`
counts the whole list in one query and answers a slice from the parts it
covers: a slice inside the first part is one query, like a plain queryset;
one that starts past a part counts that part first.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Model, QuerySet


class ChainedQuerySets:
    """`parts` (each ordered, disjoint) in turn; `whole` is the same rows in one queryset, for count."""

    # Paginator warns about unordered lists; every part carries its own ordering.
    ordered = True

    def __init__(self, *parts: QuerySet, whole: QuerySet | None = None) -> None:
        if not parts:
            raise ValueError("ChainedQuerySets needs at least one queryset")
        self.parts = parts
        self.whole = whole
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            if self.whole is not None:
                self._count = self.whole.count()
            else:
                self._count = sum(part.count() for part in self.parts)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Model]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("ChainedQuerySets takes slices with no step")
        start = index.start or 0
        stop = index.stop if index.stop is not None else self.count()
        if start < 0 or stop < 0:
            raise ValueError("ChainedQuerySets takes no negative indexes")
        rows: list[Model] = []
        skip, wanted = start, stop - start
        for position, part in enumerate(self.parts):
            if wanted <= 0:
                break
            found = list(part[skip : skip + wanted])
            rows += found
            wanted -= len(found)
            if found:
                skip = 0  # the rest of the slice starts at the next part's first row
            elif skip and position + 1 < len(self.parts):
                # The slice starts past this part: how far past is its length.
                skip = max(0, skip - part.count())
        return rows

    def __iter__(self) -> Iterator[Model]:
        return self.iterator()

    def iterator(self, chunk_size: int = 2000) -> Iterator[Model]:
        """Every row, part after part, each part streamed."""
        for part in self.parts:
            yield from part.iterator(chunk_size=chunk_size)
