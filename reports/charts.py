"""Chart descriptions for the pipeline pages: one dict drives both the canvas and its numbers table.

`static/frontline/charts.js` turns `config` into a Chart.js chart; the
template include `verticals/_chart.html` renders the same numbers as a table
in a <details> element and offers them as a CSV download, so what the chart
shows is always one click away in figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import get_language

from verticals.models import Vertical


def display_name(obj: Vertical | object) -> str:
    """The local (Chinese) name when the page is in Chinese and one exists, else the name."""
    local = getattr(obj, "local_name", "")
    if local and (get_language() or "").lower().startswith("zh"):
        return local
    return obj.name


def day_labels(days: Sequence[dt.date]) -> list[str]:
    return [d.isoformat() for d in days]


def chart(
    *,
    chart_id: str,
    title: str,
    kind: str,
    labels: Sequence[str],
    datasets: Sequence[dict],
    x_title: str = "",
    y_title: str = "",
    stacked: bool = False,
    horizontal: bool = False,
    percent_axis: str | None = None,
    extra_columns: Sequence[tuple[str, Sequence]] = (),
    note: str = "",
) -> dict:
    """A chart: `config` for Chart.js (JSON), `columns` and `rows` for its table.

    Each dataset is {"label", "data"} plus any Chart.js dataset option
    (type, yAxisID, backgroundColor…). `percent_axis` names a y axis whose
    values are fractions shown as percentages. `extra_columns` add
    (title, values) columns to the table only.
    """
    labels = [str(label) for label in labels]
    datasets = [{**ds, "label": str(ds["label"])} for ds in datasets]
    columns = [str(x_title), *(ds["label"] for ds in datasets), *(str(t) for t, _ in extra_columns)]
    rows = []
    for i, label in enumerate(labels):
        row = [label]
        row += [ds["data"][i] for ds in datasets]
        row += [values[i] for _, values in extra_columns]
        rows.append(row)
    return {
        "id": chart_id,
        "data_id": f"{chart_id}-data",
        "title": str(title),
        "note": str(note),
        "columns": columns,
        "rows": rows,
        "config": {
            "type": kind,
            "labels": labels,
            "datasets": datasets,
            "xTitle": str(x_title),
            "yTitle": str(y_title),
            "stacked": stacked,
            "horizontal": horizontal,
            "percentAxis": percent_axis,
        },
    }
