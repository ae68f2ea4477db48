"""Writes on CTAs by people: closing one as done or dismissed, ticking its steps."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.days import business_today

from . import outbox
from .models import CLOSED_BY_PERSON, CTA, CTAStatus


def close_cta(*, cta: CTA, status: str, user, note: str = "") -> CTA:
    """Close an open CTA as done or dismissed (a dismissal needs a note); snoozes the play."""
    note = (note or "").strip()
    if status not in CLOSED_BY_PERSON:
        raise ValidationError(
            {"status": _("Must be one of: %s.") % ", ".join(s.value for s in CLOSED_BY_PERSON)}
        )
    if status == CTAStatus.DISMISSED and not note:
        raise ValidationError({"note": _("A dismissal needs a note saying why.")})
    with transaction.atomic():
        locked = CTA.objects.select_for_update().get(pk=cta.pk)
        if locked.status != CTAStatus.OPEN:
            raise ValidationError(
                {"status": _("This CTA is already closed (%s).") % locked.get_status_display()}
            )
        locked.status = status
        locked.note = note
        locked.closed_at = timezone.now()
        locked.closed_on = business_today()
        locked.closed_by = user
        locked.save(update_fields=["status", "note", "closed_at", "closed_on", "closed_by"])
        outbox.cta_closed(locked)
    return locked


def validate_steps(steps) -> list[dict]:
    """Steps as `[{"text": str, "done": bool}, …]`; raises ValidationError naming `steps`."""
    if not isinstance(steps, list) or not all(
        isinstance(s, dict)
        and set(s) == {"text", "done"}
        and isinstance(s["text"], str)
        and s["text"].strip()
        and isinstance(s["done"], bool)
        for s in steps
    ):
        raise ValidationError(
            {"steps": _('Must be a list of {"text": non-empty text, "done": true or false}.')}
        )
    return [{"text": s["text"], "done": s["done"]} for s in steps]


def set_steps(*, cta: CTA, steps) -> CTA:
    """Replace the CTA's checklist (ticking or adding steps)."""
    cta.steps = validate_steps(steps)
    cta.save(update_fields=["steps"])
    return cta
