"""The admin's login form, saying plainly when password sign-in is closed to a person."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import provider


class LoginForm(AdminAuthenticationForm):
    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "password_login_refused", False):
                if provider.is_configured():
                    message = _(
                        "Password sign-in is kept for superusers. "
                        "Use “Sign in with %(provider)s” instead."
                    ) % {"provider": provider.provider_name()}
                else:
                    message = _("Password sign-in is kept for superusers.")
                raise ValidationError(message, code="password_login_refused") from None
            raise
