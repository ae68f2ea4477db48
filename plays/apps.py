from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaysConfig(AppConfig):
    name = "plays"
    verbose_name = _("Plays")
