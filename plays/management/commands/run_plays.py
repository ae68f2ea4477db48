"""`run_plays [--date D] [--days N]`: evaluate every active play for a day (or the N days ending it)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.days import last_complete_day
from plays import evaluation

MAX_DAYS = 366


class Command(BaseCommand):
    help = "Evaluate the plays for a day (default: the last complete day): open, refresh, resolve CTAs."

    def add_arguments(self, parser):
        parser.add_argument("--date", help=_("the day (YYYY-MM-DD); default the last complete day"))
        parser.add_argument(
            "--days",
            type=int,
            default=1,
            help=_("evaluate the N days ending the date, oldest first (a backfill)"),
        )

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
        if not 1 <= options["days"] <= MAX_DAYS:
            raise CommandError(_("--days: must be from 1 to %(max)d") % {"max": MAX_DAYS})
        for back in range(options["days"] - 1, -1, -1):
            evaluated = day - dt.timedelta(days=back)
            results = evaluation.evaluate(day=evaluated)
            parts = [f"{r.trigger} +{r.opened} ~{r.refreshed} -{r.resolved}" for r in results]
            self.stdout.write(
                _("plays for %(day)s (opened +, refreshed ~, resolved -): %(parts)s")
                % {"day": evaluated.isoformat(), "parts": ", ".join(parts) or _("no active play")}
            )
