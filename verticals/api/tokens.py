"""API keys: issuing, hashing and revoking the keys behind `Authorization: Token KEY`.

The key itself is shown once, when it is issued; only its SHA-256 hash is
stored. A random 256-bit key needs no salt or slow hash: it cannot be
guessed, and a fast hash keeps each request to one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.utils import timezone

from verticals.models import APIToken


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue_api_token(
    *, user, can_write: bool = False, name: str = "", expires_at: datetime | None = None
) -> tuple[APIToken, str]:
    """Create a token for `user` and return it with its key (the only time the key is known)."""
    key = secrets.token_urlsafe(32)
    token = APIToken(
        user=user,
        name=name,
        prefix=key[: APIToken.PREFIX_LENGTH],
        key_hash=hash_key(key),
        can_write=can_write,
    )
    if expires_at is not None:
        token.expires_at = expires_at
    token.save()
    return token, key


def revoke_api_tokens(tokens) -> int:
    """Revoke the given tokens (a queryset) that are not revoked yet; returns how many."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
