"""`import_usage FILE [--skip-invalid]`: load the app-usage feed (account,date,app,minutes,active_users)."""

from functools import partial

from core.csv_import import ImportCommand
from metrics.ingest import import_app_usage_csv
from metrics.ingest.feeds import APP_USAGE_COLUMNS

from ._progress import chunks_with_progress, rows_with_progress


class Command(ImportCommand):
    help = "Import the app-usage feed: CSV account,date,app,minutes,active_users."
    columns = APP_USAGE_COLUMNS

    def run_import(self, *, path, skip_invalid, progress):
        return import_app_usage_csv(
            path=path,
            skip_invalid=skip_invalid,
            wrap=partial(rows_with_progress, enabled=progress),
            wrap_chunks=partial(chunks_with_progress, path=path, enabled=progress),
        )
