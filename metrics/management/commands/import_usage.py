"""`import_usage FILE [--skip-invalid]`: load the app-usage feed (account,date,app,minutes,active_users)."""

from config.csv_import import ImportCommand
from metrics.services import APP_USAGE_COLUMNS, import_app_usage_csv


class Command(ImportCommand):
    help = "Import the app-usage feed: CSV account,date,app,minutes,active_users."
    columns = APP_USAGE_COLUMNS

    def run_import(self, *, path, skip_invalid, progress):
        def wrap(rows):
            # tqdm only when rows are read in Python (a plain file on PostgreSQL never is).
            from ._progress import rows_with_progress

            return rows_with_progress(rows, enabled=progress)

        return import_app_usage_csv(path=path, skip_invalid=skip_invalid, wrap=wrap)
