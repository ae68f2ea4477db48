"""A second factor (TOTP, django-otp) for staff who sign in with a password, when STAFF_MFA=1.

Staff signed in by the OpenID Connect provider are not asked: the provider is their second
factor's place. Anyone else who is staff — a password login, the break-glass superuser — must
enrol an authenticator app (a QR code, then one code) and is shown ten single-use recovery
codes; afterwards each password sign-in asks for a code from the app or a recovery code. Until
then every page sends them here and the API answers 403.
"""

from __future__ import annotations

import base64
import logging
from urllib.parse import quote

import segno
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.api.envelope import envelope

from .backends import signed_in_with_provider

logger = logging.getLogger("frontline.signin")

RECOVERY_CODES = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"
# Paths a person who still owes a code may reach: these pages, logging out, the language switch,
# the provider's sign-in, static files.
_OPEN_PREFIXES = ("/account/two-factor/", "/admin/logout/", "/i18n/", "/oidc/")


def needs_second_factor(request: HttpRequest) -> bool:
    if not settings.STAFF_MFA:
        return False
    user = request.user
    if not (user.is_authenticated and user.is_staff):
        return False
    if signed_in_with_provider(request):
        return False
    return not user.is_verified()


class StaffSecondFactorMiddleware:
    """Sends staff who owe a TOTP code to enrol or to enter one; after django_otp's middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if (
            settings.STAFF_MFA
            and not path.startswith((*_OPEN_PREFIXES, "/" + settings.STATIC_URL.lstrip("/")))
            and needs_second_factor(request)
        ):
            if path.startswith("/api/"):
                return envelope(
                    403, _("Enter your authenticator code in the admin first (two-factor sign-in).")
                )
            target = "mfa_verify" if _authenticator(request.user) else "mfa_setup"
            return redirect(f"{reverse(target)}?next={quote(request.get_full_path())}")
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "numeric"}
        ),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).lower()


def _authenticator(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or reverse("admin:index")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


def _page(request, template: str, context: dict) -> HttpResponse:
    return render(
        request,
        template,
        {**admin.site.each_context(request), "next": _next_url(request), **context},
    )


@transaction.atomic
def issue_recovery_codes(user) -> list[str]:
    """New single-use recovery codes for `user`, replacing any earlier ones."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: a QR code (and its key typed by hand), then one code from it."""
    user = request.user
    if not user.is_staff:
        return redirect("admin:index")
    if _authenticator(user):
        return redirect(f"{reverse('mfa_verify')}?next={quote(_next_url(request))}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = issue_recovery_codes(user)
            otp_login(request, device)
            logger.info("second factor enrolled user=%s", user.get_username())
            return _page(request, "verticals/signin/recovery_codes.html", {"codes": codes})
        logger.warning("second factor enrolment code refused user=%s", user.get_username())
        form.add_error("code", _("That code is not the one your app shows now; try the next one."))
    qr = segno.make(device.config_url, error="m")
    return _page(
        request,
        "verticals/signin/mfa_setup.html",
        {
            "form": form,
            "qr_data_uri": qr.svg_data_uri(scale=5, border=2),
            "secret": base64.b32encode(device.bin_key).decode(),
        },
    )


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Ask for a code from the authenticator app, or a recovery code."""
    user = request.user
    if not needs_second_factor(request):
        return redirect(_next_url(request))
    authenticator = _authenticator(user)
    if authenticator is None:
        return redirect(f"{reverse('mfa_setup')}?next={quote(_next_url(request))}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        device = verify_token(user, authenticator.persistent_id, code)
        recovery = StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()
        if device is None and recovery is not None:
            device = verify_token(user, recovery.persistent_id, code)
            if device is not None:
                logger.info("second factor recovery code used user=%s", user.get_username())
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        logger.warning("second factor refused user=%s", user.get_username())
        form.add_error(
            "code",
            _(
                "That code is not right. Enter the code your authenticator app shows now, "
                "or one of your recovery codes."
            ),
        )
    return _page(request, "verticals/signin/mfa_verify.html", {"form": form})
