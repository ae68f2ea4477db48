"""Where a webhook may be sent: no SSRF into our own network, only https (docs/events.md).

A receiver URL is checked when a subscription is saved and again right before
each POST (DNS can change in between); the POST then connects to the very
address that was checked, so a name cannot resolve to a public address for the
check and to a private one for the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class UnsafeReceiver(ValidationError):
    """The URL is refused; the message says why."""


@dataclass(frozen=True)
class Receiver:
    """A checked URL: its scheme, host name, port, path with query, and the address to connect to."""

    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent in the request line
    address: str  # the checked IP address

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified: anything not public."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_multicast or not address.is_global


def _resolve(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeReceiver(
            _("The host %(host)s does not resolve: %(error)s")
            % {
                "host": host,
                "error": exc,
            }
        ) from None
    # IPv6 scope ids ("fe80::1%eth0") are dropped: the scope is not part of the address.
    return list(dict.fromkeys(info[4][0].split("%")[0] for info in found))


def check_receiver(url: str) -> Receiver:
    """The URL's parts and a checked address, or UnsafeReceiver saying why it is refused.

    Every address the host resolves to must be allowed (a name with one public and
    one private address is refused); the first one is used.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeReceiver(_("Not a valid URL: %(error)s") % {"error": exc}) from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise UnsafeReceiver(_("Only https URLs are allowed."))
    if scheme == "http" and not settings.WEBHOOK_ALLOW_HTTP:
        raise UnsafeReceiver(
            _("Only https URLs are allowed (plain http needs WEBHOOK_ALLOW_HTTP=1).")
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeReceiver(_("The URL has no host."))
    if parts.username or parts.password:
        raise UnsafeReceiver(_("The URL must not carry a user name or password."))
    port = port or (443 if scheme == "https" else 80)
    addresses = _resolve(host, port)
    if not addresses:
        raise UnsafeReceiver(_("The host %(host)s does not resolve.") % {"host": host})
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        for raw in addresses:
            if _refused(ipaddress.ip_address(raw)):
                raise UnsafeReceiver(
                    _(
                        "%(host)s resolves to %(address)s, a loopback, private, link-local, "
                        "multicast or reserved address (allowed only with WEBHOOK_ALLOW_PRIVATE=1)."
                    )
                    % {"host": host, "address": raw}
                )
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    return Receiver(scheme=scheme, host=host, port=port, target=target, address=addresses[0])
