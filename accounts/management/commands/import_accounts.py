"""`import_accounts FILE [--skip-invalid]`: create or update accounts by external_id."""

from accounts.services import ACCOUNT_COLUMNS, import_accounts
from core.csv_import import ImportCommand, read_csv_rows


class Command(ImportCommand):
    help = "Import accounts: CSV external_id,name,local_name,vertical,headcount,region,stage,csm."
    columns = ACCOUNT_COLUMNS

    def run_import(self, *, path, skip_invalid, progress):
        return import_accounts(
            rows=read_csv_rows(path, columns=self.columns), skip_invalid=skip_invalid
        )
