from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaysConfig(AppConfig):
    name = "plays"
    verbose_name = _("Plays")

    def ready(self):
        # metrics announces each recomputed day; plays evaluate the last complete one.
        from metrics.signals import day_recomputed

        from .receivers import evaluate_recomputed_day

        day_recomputed.connect(
            evaluate_recomputed_day, dispatch_uid="plays.evaluate_recomputed_day"
        )
