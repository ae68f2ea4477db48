from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("Metrics")

    def ready(self) -> None:
        from visits.selectors import set_policy_sla_hours

        from .selectors import policy_requirement_sla_hours

        # visits reads the requirement SLA from the current policy through this hook.
        set_policy_sla_hours(policy_requirement_sla_hours)
