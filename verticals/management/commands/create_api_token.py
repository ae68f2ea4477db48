"""`create_api_token USERNAME [--write]`: issue an API key and print it (and only it) on stdout."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from verticals.api.tokens import issue_api_token


class Command(BaseCommand):
    help = gettext_lazy(
        "Create an API key for USERNAME and print it; read-only unless --write. "
        "The key is shown only now: it is stored hashed."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--write",
            action="store_true",
            help=_("allow writes (usage feeds, visits)"),
        )
        parser.add_argument("--name", default="", help=_("a label for the key in the admin"))

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(_("unknown user %(name)r") % {"name": options["username"]})
        if not user.is_active:
            raise CommandError(_("user %(name)r is inactive") % {"name": options["username"]})
        _token, key = issue_api_token(
            user=user, can_write=options["write"], name=options["name"][:120]
        )
        # Scripts capture stdout: print the key and nothing else.
        self.stdout.write(key)
