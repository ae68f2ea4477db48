"""`import_people FILE [--skip-invalid]`: onboard staff from a CSV of memberships."""

from core.csv_import import ImportCommand, read_csv_rows
from verticals.services import PEOPLE_COLUMNS, import_people


class Command(ImportCommand):
    help = "Import people: CSV username,full_name,email,vertical,role (one row per membership)."
    columns = PEOPLE_COLUMNS

    def run_import(self, *, path, skip_invalid, progress):
        return import_people(
            rows=read_csv_rows(path, columns=self.columns), skip_invalid=skip_invalid
        )
