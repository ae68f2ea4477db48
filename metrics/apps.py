from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("Metrics")

    def ready(self) -> None:
        from accounts.history import count_by_account, register_history

        from .models import AccountDailyStatus, AppUsage, ConnectorUsage

        # An account with feed rows or computed days is closed (stage churned), never deleted.
        register_history(_("app feed rows"), lambda ids: count_by_account(AppUsage.objects, ids))
        register_history(
            _("connector feed rows"), lambda ids: count_by_account(ConnectorUsage.objects, ids)
        )
        register_history(
            _("daily statuses"), lambda ids: count_by_account(AccountDailyStatus.objects, ids)
        )
