"""`maintain_partitions [--retention-days N]`: the monthly partitions' upkeep (beat runs it daily).

Creates the coming months' partitions of the feeds, rollup and status, and drops the
raw-feed partitions older than FEED_RETENTION_DAYS (never the rollup or the status).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from metrics import partitions


class Command(BaseCommand):
    help = "Create the coming months' partitions and drop raw-feed partitions past retention."

    def add_arguments(self, parser):
        parser.add_argument(
            "--retention-days",
            type=int,
            help=_("raw feed kept this many days (default: FEED_RETENTION_DAYS)"),
        )

    def handle(self, *args, retention_days=None, **options):
        if retention_days is not None and retention_days < 1:
            raise CommandError(_("--retention-days must be 1 or more"))
        if not partitions.is_partitioned():
            self.stdout.write(_("SQLite keeps plain tables: no partitions to maintain."))
            return
        report = partitions.maintain(retention_days=retention_days)
        for name in report.created:
            self.stdout.write(_("created %(partition)s") % {"partition": name})
        for name in report.dropped:
            self.stdout.write(_("dropped %(partition)s") % {"partition": name})
        self.stdout.write(
            _("partitions: %(created)d created, %(dropped)d dropped")
            % {"created": len(report.created), "dropped": len(report.dropped)}
        )
