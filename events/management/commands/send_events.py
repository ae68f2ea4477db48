"""`python manage.py send_events [--prune]`: deliver every event due now, once; or prune the outbox."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from events import services


class Command(BaseCommand):
    help = _("Deliver every webhook event due now, once (what the minutely sweep does).")

    def add_arguments(self, parser):
        parser.add_argument(
            "--prune",
            action="store_true",
            help=_(
                "Instead, delete the events done for EVENTS_RETENTION_DAYS with their deliveries "
                "(what the daily events.prune does)."
            ),
        )

    def handle(self, *args, **options):
        if options["prune"]:
            deleted = services.prune_events()
            self.stdout.write(_("%(n)d events deleted.") % {"n": deleted})
            return
        attempted = services.deliver_due()
        self.stdout.write(_("%(n)d deliveries attempted.") % {"n": attempted})
