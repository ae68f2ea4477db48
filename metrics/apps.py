from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("Metrics")

    def ready(self) -> None:
        from accounts.history import count_by_account, register_history
        from core.health import register_readiness_report
        from visits.selectors import set_policy_sla_hours

        from .models import AccountDailyStatus, AccountDayUsage, AppUsage, ConnectorUsage
        from .recompute_queue import recompute_failures
        from .selectors import policy_requirement_sla_hours

        # The rollup shows up in an account's delete confirmation. Named here rather than in
        # its Meta so that naming it needs no migration; move it to Meta with the next one.
        AccountDayUsage._meta.verbose_name = _("daily usage rollup")
        AccountDayUsage._meta.verbose_name_plural = _("daily usage rollups")

        # An account with feed rows or computed days is closed (stage churned), never deleted.
        register_history(_("app feed rows"), lambda ids: count_by_account(AppUsage.objects, ids))
        register_history(
            _("connector feed rows"), lambda ids: count_by_account(ConnectorUsage.objects, ids)
        )
        register_history(
            _("daily statuses"), lambda ids: count_by_account(AccountDailyStatus.objects, ids)
        )

        # visits reads the requirement SLA from the current policy through this hook.
        set_policy_sla_hours(policy_requirement_sla_hours)

        # /readyz reports failed recomputes (retried; the admin lists them).
        register_readiness_report("recompute_failures", recompute_failures)
