"""A CTA's reason in words, rendered from its stored numbers in the reader's language.

The evaluation stores only numbers (`CTA.reason_numbers`); rendering at read
time lets a Chinese and an English reader see the same CTA in their words.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from metrics.models import HealthColor
from visits.models import Priority

from .triggers import Trigger


def _color(code: str | None) -> str:
    return str(HealthColor(code).label) if code in HealthColor.values else str(code or "—")


def criterion_words(criterion: str, have, need) -> str:
    """One deep-integration criterion, what the account has and needs."""
    if criterion == "connectors":
        return _("%(have)s of %(need)s connectors with data") % {"have": have, "need": need}
    if criterion == "records":
        return _("%(have)s of %(need)s records in the window") % {
            "have": f"{have:,}",
            "need": f"{need:,}",
        }
    if criterion == "dag_rate":
        return _("DAG rate %(have).0f%% of the %(need).0f%% needed") % {
            "have": have * 100,
            "need": need * 100,
        }
    if criterion == "analytics_days":
        return _("analytics used on %(have)s of %(need)s days") % {"have": have, "need": need}
    return f"{criterion}: {have} / {need}"


def render(trigger: str, numbers: dict) -> str:
    """The reason of a CTA of `trigger` with `numbers`, in the active language."""
    n = numbers or {}
    if trigger == Trigger.LEVEL_DROPPED:
        words = _("deep-integration level fell from %(before)s to %(after)s since %(since)s") % {
            "before": n.get("before"),
            "after": n.get("after"),
            "since": n.get("since"),
        }
        details = [
            criterion_words(m["criterion"], m["have"], m["need"]) for m in n.get("missing", [])
        ]
        return f"{words}: {'; '.join(details)}" if details else words
    if trigger == Trigger.TURNED_RED:
        return _(
            "health turned red (score %(score)s); it was %(before)s (score %(before_score)s) on %(since)s"
        ) % {
            "score": n.get("score"),
            "before": _color(n.get("before")),
            "before_score": n.get("before_score"),
            "since": n.get("since"),
        }
    if trigger == Trigger.DAG_RATE_FELL:
        return _("DAG rate fell from %(before).0f%% to %(after).0f%% since %(since)s") % {
            "before": n.get("before", 0) * 100,
            "after": n.get("after", 0) * 100,
            "since": n.get("since"),
        }
    if trigger == Trigger.CONNECTOR_SILENT:
        names = ", ".join(c["name"] for c in n.get("connectors", []))
        return _("%(names)s connector silent for %(silent)s days after %(active)s active days") % {
            "names": names,
            "silent": n.get("silent_days"),
            "active": n.get("active_days"),
        }
    if trigger == Trigger.NEAR_DEEP:
        return _("one criterion short of deep integration: %(criterion)s") % {
            "criterion": criterion_words(n.get("criterion"), n.get("have"), n.get("need"))
        }
    if trigger == Trigger.RENEWAL_AT_RISK:
        return _(
            "renewal on %(renewal)s (in %(days)s days) with health %(color)s (score %(score)s)"
        ) % {
            "renewal": n.get("renewal_date"),
            "days": n.get("days_left"),
            "color": _color(n.get("color")),
            "score": n.get("score"),
        }
    if trigger == Trigger.REQUIREMENT_OVERDUE:
        count = n.get("count", 0)
        priority = n.get("min_priority")
        label = str(Priority(priority).label) if priority in Priority.values else priority
        return ngettext(
            "%(count)s requirement of priority %(priority)s or higher has had no first response "
            "within the %(sla)s-hour SLA (raised %(oldest)s)",
            "%(count)s requirements of priority %(priority)s or higher have had no first response "
            "within the %(sla)s-hour SLA (the oldest raised %(oldest)s)",
            count,
        ) % {
            "count": count,
            "priority": label,
            "sla": n.get("sla_hours"),
            "oldest": n.get("oldest_raised"),
        }
    if trigger == Trigger.NO_RECENT_VISIT:
        if n.get("last_visit"):
            return _("no visit in the last %(days)s days (last visit %(last)s)") % {
                "days": n.get("days"),
                "last": n.get("last_visit"),
            }
        return _("no visit in the last %(days)s days (never visited)") % {"days": n.get("days")}
    return ""


def render_resolution(*, closed_on, last_held_on, clear_days) -> str:
    """Why a CTA resolved itself."""
    return _(
        "resolved on %(day)s: the condition did not hold on %(days)s consecutive evaluated days "
        "(last held %(held)s)"
    ) % {"day": closed_on, "days": clear_days, "held": last_held_on}
