"""The progress bar the metrics commands draw on stderr (tqdm), off at verbosity 0."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

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


def chunks_with_progress(chunks: Iterable[bytes], *, path: Path, enabled: bool) -> Iterator[bytes]:
    """Pass the file's chunks through on their way to COPY, counting bytes against the file size."""
    if not enabled:
        yield from chunks
        return
    with tqdm(
        total=path.stat().st_size,
        desc=_("file"),
        unit="B",
        unit_scale=True,
        file=sys.stderr,
        mininterval=0.5,
    ) as bar:
        for chunk in chunks:
            yield chunk
            bar.update(len(chunk))
        bar.update(bar.total - bar.n)  # the header line, read before the chunks


def day_bar(total: int, *, enabled: bool) -> tqdm:
    return tqdm(total=total, desc=_("days"), unit=" day", file=sys.stderr, disable=not enabled)
