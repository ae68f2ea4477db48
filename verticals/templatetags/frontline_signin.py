"""`{% provider_sign_in next %}`: the "Sign in with <provider>" link, only when OIDC is configured."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from verticals.signin import provider

register = template.Library()


@register.inclusion_tag("verticals/signin/provider_button.html")
def provider_sign_in(next_url: str = ""):
    if not provider.is_configured():
        return {"configured": False}
    url = reverse("oidc_authentication_init")
    if next_url:
        url = f"{url}?{urlencode({'next': next_url})}"
    return {"configured": True, "url": url, "provider_name": provider.provider_name()}
