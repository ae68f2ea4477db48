from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits")

    def ready(self) -> None:
        from accounts.history import count_by_account, register_history
        from events.services import register_detector

        from . import outbox
        from .models import Requirement, Visit

        # Django names auto-created many-to-many tables "visit-contact relationship" in English
        # when the class is built; delete confirmations list them by these names.
        names = {
            Visit.contact_attendees.through: (_("customer attendee"), _("customer attendees")),
            Visit.staff_attendees.through: (_("staff attendee"), _("staff attendees")),
        }
        for through, (singular, plural) in names.items():
            through._meta.verbose_name = singular
            through._meta.verbose_name_plural = plural

        # An account with visits or requirements is closed (stage churned), never deleted.
        register_history(_("visits"), lambda ids: count_by_account(Visit.objects, ids))
        register_history(_("requirements"), lambda ids: count_by_account(Requirement.objects, ids))

        # Every events sweep (each minute) records the requirements that went overdue.
        register_detector(outbox.record_overdue_requirements)
