from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits")

    def ready(self) -> None:
        from accounts.history import count_by_account, register_history

        from .models import Requirement, Visit

        # An account with visits or requirements is closed (stage churned), never deleted.
        register_history(_("visits"), lambda ids: count_by_account(Visit.objects, ids))
        register_history(_("requirements"), lambda ids: count_by_account(Requirement.objects, ids))
