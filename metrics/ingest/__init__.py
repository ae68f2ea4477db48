"""Ingesting the two daily usage feeds (metrics.recompute_queue runs what they make owed).

Ingest (`import_app_usage`, `import_connector_usage` for lists of rows - the
REST API - and `import_app_usage_csv`, `import_connector_usage_csv` for files -
the commands) streams the rows: each row is validated in Python against
in-memory maps of the accounts and catalog (their size depends on the number of
accounts, never on the input), and the valid rows are streamed into a temporary
staging table - through COPY on PostgreSQL, in batches on SQLite - then written
with one `INSERT … SELECT … ON CONFLICT DO UPDATE`. Memory stays flat whatever
the size of the input. On PostgreSQL a file without quoted values goes further:
its bytes go to COPY untouched and the checks run set-based, with the Python
parser naming whatever they refuse (`copy_path.import_feed_copy`). Everything happens in
one transaction: when a row is rejected and the caller did not ask to skip
invalid rows, nothing is loaded.

After a load, the recompute it makes necessary is recorded as a
`PendingRecompute` row in the same transaction, and a Celery task sent on
commit runs it (in-process when no broker is configured). The periodic sweep
finds any pending row whose task was lost.

Modules: `feeds` (the two feeds, bounds), `parser` (one row in Python), `staging`
(the staging table and the upsert), `csv_file` (reading a file), `copy_path`
(PostgreSQL COPY), `catalogue` (registering and merging codes), `load` (the
import itself, the public functions below).
"""

from .load import (
    import_app_usage,
    import_app_usage_csv,
    import_connector_usage,
    import_connector_usage_csv,
)

__all__ = [
    "import_app_usage",
    "import_app_usage_csv",
    "import_connector_usage",
    "import_connector_usage_csv",
]
