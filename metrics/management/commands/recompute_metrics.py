"""`recompute_metrics [--date D | --start D --end D] [--account EXTERNAL_ID]`: recompute the daily status here and now.

Without dates: every day from the first day with feed data in the 90 days
ending yesterday (Asia/Shanghai) through yesterday - what `make demo` needs
after `seed_demo` has loaded its feeds.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import Account
from core.days import last_complete_day
from metrics import compute, planner_stats

from ._progress import day_bar

DEFAULT_LOOKBACK_DAYS = 90


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("%(option)s: %(value)r is not a date (YYYY-MM-DD)")
            % {"option": option, "value": value}
        ) from None


class Command(BaseCommand):
    help = "Recompute the metrics' daily status (rollup, DAG, deep integration, health)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help=_("one day (YYYY-MM-DD)"))
        parser.add_argument("--start", help=_("first day (YYYY-MM-DD), with --end"))
        parser.add_argument("--end", help=_("last day (YYYY-MM-DD), with --start"))
        parser.add_argument("--account", help=_("only this account (external id)"))

    def _range(self, options) -> tuple[dt.date, dt.date] | None:
        if options["date"] and (options["start"] or options["end"]):
            raise CommandError(_("give --date or --start/--end, not both"))
        if options["date"]:
            day = _date(options["date"], "--date")
            return day, day
        if options["start"] or options["end"]:
            if not (options["start"] and options["end"]):
                raise CommandError(_("--start and --end go together"))
            start, end = _date(options["start"], "--start"), _date(options["end"], "--end")
            if end < start:
                raise CommandError(_("--end is before --start"))
            return start, end
        yesterday = last_complete_day()
        days = compute.days_with_feed_data(
            yesterday - dt.timedelta(days=DEFAULT_LOOKBACK_DAYS - 1), yesterday
        )
        return (days[0], yesterday) if days else None

    def handle(self, *args, **options):
        account_ids = None
        if options["account"]:
            account_id = (
                Account.objects.filter(external_id=options["account"])
                .values_list("id", flat=True)
                .first()
            )
            if account_id is None:
                raise CommandError(
                    _("--account: unknown account %(id)r") % {"id": options["account"]}
                )
            account_ids = [account_id]
        window = self._range(options)
        if window is None:
            self.stdout.write(
                _("no feed data in the last %(n)d days; nothing to recompute")
                % {"n": DEFAULT_LOOKBACK_DAYS}
            )
            return
        start, end = window
        started = time.monotonic()
        days = compute.days_in(start, end)
        with day_bar(len(days), enabled=options["verbosity"] > 0) as bar:
            # One call: the rollup of the whole range in one statement, then one per day.
            written = compute.recompute(
                start=start, end=end, account_ids=account_ids, on_day=lambda day: bar.update(1)
            )
        planner_stats.refresh_status_statistics(days)
        self.stdout.write(
            _(
                "recomputed %(days)d day(s) %(start)s..%(end)s in %(s).1f s: "
                "%(rows)d status rows written (rows already right are left as they are)"
            )
            % {
                "days": len(days),
                "start": start,
                "end": end,
                "rows": written,
                "s": time.monotonic() - started,
            }
        )
