from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaysConfig(AppConfig):
    name = "plays"
    verbose_name = _("Plays")

    def ready(self):
        # metrics announces each recomputed day; plays evaluate the last complete one.
        from events.messages import register_wording
        from events.models import EventType
        from metrics.signals import day_recomputed

        from . import outbox
        from .receivers import evaluate_recomputed_day

        day_recomputed.connect(
            evaluate_recomputed_day, dispatch_uid="plays.evaluate_recomputed_day"
        )
        # CTA events carry the reason as numbers; they are sent with it in words.
        register_wording((EventType.CTA_OPENED, EventType.CTA_CLOSED), outbox.cta_in_words)
