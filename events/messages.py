"""What a chat message says about an event, in the subscriber's language, with a link to the account."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Event, EventType


@dataclass(frozen=True)
class Message:
    title: str  # one line: what happened to which account
    details: list[str]  # further lines, plain text
    link: str  # the account page
    link_text: str


# Functions of higher apps that put what an event's data holds as numbers into words (a CTA's
# reason), called at send time in the subscription's language; registered from their
# AppConfig.ready() (events imports no higher app: docs/architecture.md).
WORDINGS: dict[str, Callable[[dict], dict]] = {}


def register_wording(event_types: Iterable[str], wording: Callable[[dict], dict]) -> None:
    """`wording(data)` answers the data of an event of these types with words added."""
    for event_type in event_types:
        WORDINGS[event_type] = wording


def worded_data(event: Event, language: str) -> dict:
    """The event's data as sent to a subscription in `language` (docs/events.md)."""
    data = event.data or {}
    wording = WORDINGS.get(event.type)
    if wording is None:
        return data
    with translation.override(language):
        return wording(data)


def account_link(external_id: str) -> str:
    return f"{settings.FRONTLINE_BASE_URL.rstrip('/')}/accounts/{external_id}/"


def _level(value) -> str:
    names = {0: _("none"), 1: _("connected"), 2: _("integrated"), 3: _("deep")}
    return f"{value} ({names.get(value, '?')})"


def _color(value) -> str:
    names = {"green": _("green"), "yellow": _("yellow"), "red": _("red")}
    return names.get(value, str(value))


def _title_and_details(event: Event, data: dict) -> tuple[str, list[str]]:
    account = event.account_name or event.account_external_id
    kind = event.type
    if kind == EventType.VISIT_LOGGED:
        visit = data.get("visit", {})
        title = _("Visit to %(account)s logged") % {"account": account}
        details = [
            _("%(day)s · %(type)s · by %(author)s")
            % {
                "day": visit.get("visited_on", ""),
                "type": visit.get("visit_type", ""),
                "author": visit.get("author", ""),
            }
        ]
        details += [visit[k] for k in ("purpose", "summary") if visit.get(k)]
        return title, details
    if kind in (EventType.REQUIREMENT_RAISED, EventType.REQUIREMENT_OVERDUE):
        requirement = data.get("requirement", {})
        if kind == EventType.REQUIREMENT_RAISED:
            title = _("%(account)s raised a requirement") % {"account": account}
        else:
            title = _("A requirement of %(account)s is overdue") % {"account": account}
        details = [
            _("%(title)s (priority %(priority)s)")
            % {"title": requirement.get("title", ""), "priority": requirement.get("priority", "")}
        ]
        if kind == EventType.REQUIREMENT_OVERDUE:
            details.append(
                _("No first response %(hours)s hours after it was raised (%(raised)s).")
                % {"hours": data.get("sla_hours", "?"), "raised": requirement.get("raised_at", "")}
            )
        return title, details
    if kind == EventType.ACCOUNT_LEVEL_CHANGED:
        title = _("%(account)s: deep-integration level %(before)s → %(after)s") % {
            "account": account,
            "before": _level(data.get("before")),
            "after": _level(data.get("after")),
        }
        return title, [_("On %(day)s.") % {"day": data.get("day", "")}]
    if kind == EventType.ACCOUNT_COLOR_CHANGED:
        title = _("%(account)s: health %(before)s → %(after)s") % {
            "account": account,
            "before": _color(data.get("before")),
            "after": _color(data.get("after")),
        }
        return title, [_("On %(day)s.") % {"day": data.get("day", "")}]
    if kind in (EventType.CTA_OPENED, EventType.CTA_CLOSED):
        cta = data.get("cta", {})
        if kind == EventType.CTA_OPENED:
            title = _("CTA opened for %(account)s") % {"account": account}
            details = [
                cta.get("reason", ""),
                _("Owner %(owner)s, due %(due)s")
                % {"owner": cta.get("owner") or "-", "due": cta.get("due_on", "")},
            ]
        else:
            title = _("CTA closed for %(account)s (%(status)s)") % {
                "account": account,
                "status": cta.get("status", ""),
            }
            details = [cta.get("reason", ""), cta.get("resolution") or "", cta.get("note", "")]
        return title, [line for line in details if line]
    return f"{kind} · {account}", []


def message_for(event: Event, language: str) -> Message:
    data = worded_data(event, language)
    with translation.override(language):
        title, details = _title_and_details(event, data)
        return Message(
            title=str(title),
            details=[str(line) for line in details],
            link=account_link(event.account_external_id),
            link_text=str(_("Open the account")),
        )
