"""`run_plays [--date D]`: evaluate every active play for one day, here and now."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from metrics.compute import last_complete_day
from plays import evaluation


class Command(BaseCommand):
    help = "Evaluate the plays for a day (default: the last complete day): open, refresh, resolve CTAs."

    def add_arguments(self, parser):
        parser.add_argument("--date", help=_("the day (YYYY-MM-DD); default the last complete day"))

    def handle(self, *args, **options):
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(
                    _("--date: %(value)r is not a date (YYYY-MM-DD)") % {"value": options["date"]}
                ) from None
        else:
            day = last_complete_day()
        results = evaluation.evaluate(day=day)
        parts = [f"{r.trigger} +{r.opened} ~{r.refreshed} -{r.resolved}" for r in results]
        self.stdout.write(
            _("plays for %(day)s (opened +, refreshed ~, resolved -): %(parts)s")
            % {"day": day.isoformat(), "parts": ", ".join(parts) or _("no active play")}
        )
