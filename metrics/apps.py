from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("Metrics")

    def ready(self):
        from .models import AccountDayUsage

        # The rollup shows up in an account's delete confirmation. Named here rather than in
        # its Meta so that naming it needs no migration; move it to Meta with the next one.
        AccountDayUsage._meta.verbose_name = _("daily usage rollup")
        AccountDayUsage._meta.verbose_name_plural = _("daily usage rollups")
