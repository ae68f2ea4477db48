"""`manage.py send_digest [--week W] [--dry-run]`: the weekly digest by hand, idempotent per person and week."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from reports import digest
from visits.models import DigestDelivery


class Command(BaseCommand):
    help = (
        "Email each CSM and lead their weekly digest for an ISO week (default: this week). "
        "A person already sent that week's digest gets nothing; --dry-run prints what would be "
        "sent and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week like 2026-W48 (default: the current week)")
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would be sent; write nothing"
        )

    def handle(self, *args, week=None, dry_run=False, **options):
        week = week or digest.current_week()
        try:
            digest.parse_week(week)
        except digest.InvalidWeek as exc:
            raise CommandError(f"--week: {exc}") from None
        if dry_run:
            self._dry_run(week, verbose=options["verbosity"] >= 2)
            return
        ids = digest.prepare_week(week=week)
        sent = sum(digest.send_delivery(delivery_id=i) for i in ids)
        counts = dict.fromkeys(("sent", "empty", "failed", "sending", "ready"), 0)
        for status in DigestDelivery.objects.filter(week=week).values_list("status", flat=True):
            counts[status] = counts.get(status, 0) + 1
        self.stdout.write(
            f"week {week}: sent {sent} now; {counts['sent']} sent in all, "
            f"{counts['empty']} with nothing to report, {counts['failed']} failed "
            f"(retried on the next run), {counts['sending']} interrupted while sending"
        )
        if counts["failed"]:
            raise CommandError(
                f"{counts['failed']} digest(s) failed; see DigestDelivery.last_error"
            )

    def _dry_run(self, week: str, *, verbose: bool) -> None:
        done = dict(DigestDelivery.objects.filter(week=week).values_list("user_id", "status"))
        would = 0
        for user in digest.digest_recipients():
            if user.pk in done and done[user.pk] not in ("ready", "failed"):
                self.stdout.write(f"skip {user.username} <{user.email}>: already {done[user.pk]}")
                continue
            built = digest.build_digest(user=user, week=week)
            if built.is_empty:
                self.stdout.write(f"skip {user.username} <{user.email}>: nothing to report")
                continue
            language = digest.language_for(user)
            subject, text, _html = digest.render_digest(built, language=language)
            would += 1
            self.stdout.write(
                f"would send to {user.username} <{user.email}> [{language}]: {subject}"
            )
            if verbose:
                self.stdout.write(text)
        self.stdout.write(f"dry run, week {week}: would send {would}; nothing written")
