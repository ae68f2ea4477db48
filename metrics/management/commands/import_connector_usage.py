"""`import_connector_usage FILE [--skip-invalid]`: load the connector-usage feed (account,date,connector,records)."""

from functools import partial

from core.csv_import import ImportCommand
from metrics.ingest import import_connector_usage_csv
from metrics.ingest.feeds import CONNECTOR_USAGE_COLUMNS

from ._progress import chunks_with_progress, rows_with_progress


class Command(ImportCommand):
    help = "Import the connector-usage feed: CSV account,date,connector,records."
    columns = CONNECTOR_USAGE_COLUMNS

    def run_import(self, *, path, skip_invalid, progress):
        return import_connector_usage_csv(
            path=path,
            skip_invalid=skip_invalid,
            wrap=partial(rows_with_progress, enabled=progress),
            wrap_chunks=partial(chunks_with_progress, path=path, enabled=progress),
        )
