"""The progress bar the metrics commands draw on stderr (tqdm), off at verbosity 0."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _
from tqdm import tqdm


def rows_with_progress(rows: Iterable, *, enabled: bool) -> Iterator:
    """Pass rows through, counting them on a bar; the file is streamed, so there is no total."""
    if not enabled:
        yield from rows
        return
    with tqdm(
        desc=_("rows"), unit=" rows", unit_scale=True, file=sys.stderr, mininterval=0.5
    ) as bar:
        pending = 0
        for row in rows:
            yield row
            pending += 1
            if pending == 10_000:
                bar.update(pending)
                pending = 0
        bar.update(pending)


def day_bar(total: int, *, enabled: bool) -> tqdm:
    return tqdm(total=total, desc=_("days"), unit=" day", file=sys.stderr, disable=not enabled)
