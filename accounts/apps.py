from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from verticals.admin_scoping import register_choice_scope
        from verticals.models import Vertical

        from .models import Account
        from .selectors import accounts_visible_to, contacts_visible_to

        # The admin's choice lists of accounts and contacts, scoped to the user's verticals.
        register_choice_scope("accounts.account", accounts_visible_to)
        register_choice_scope("accounts.contact", contacts_visible_to)

        # What a page of the accounts API list shows: the account, its vertical's code and its
        # owner's username. Bulk writes (imports, the engine) call list_cache.changed() themselves.
        for model in (Account, Vertical, get_user_model()):
            post_save.connect(_list_changed, sender=model, dispatch_uid=f"list_cache:{model}:save")
            post_delete.connect(
                _list_changed, sender=model, dispatch_uid=f"list_cache:{model}:delete"
            )


def _list_changed(sender, **kwargs) -> None:
    from . import list_cache

    list_cache.changed()
