"""`python manage.py send_events`: deliver every event due now, once, and say how it went."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from events import services


class Command(BaseCommand):
    help = _("Deliver every webhook event due now, once (what the minutely sweep does).")

    def handle(self, *args, **options):
        attempted = services.deliver_due()
        self.stdout.write(_("%(n)d deliveries attempted.") % {"n": attempted})
