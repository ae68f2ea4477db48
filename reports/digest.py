"""The weekly digest: each CSM and lead's Monday email, written as data first, then sent once.

What a person's digest holds, for the ISO week W (Monday to Sunday):
- their accounts that turned red: red on the Sunday before W, green or yellow
  7 days before that (the nightly recompute has the Sunday by Monday 08:00);
- requirements overdue (open, no first response past the policy's SLA) now;
- open action items due by the end of W (the overdue ones included);
- near-deep accounts on the Sunday before W (metrics.selectors);
- their CTAs (they own them): new ones, opened in the week before W and still
  open, and overdue ones, open and due before W's Monday (plays.selectors).
"Their accounts": a lead's are every account of the verticals she leads; a
CSM's are the ones they own or serve on the team (visits.selectors'
"mine"), always within what they may see.

Delivery is at-least-once and idempotent: `prepare_week` writes one `DigestDelivery` row per
(person, week), rendered in the person's language; `send_delivery` sends one
row by id, moving it ready → sending → sent. A row that is sending or sent is
never sent again, so a re-run, a retried task or a second beat tick sends
nothing twice. The user model has no language preference yet, so every
digest uses settings.LANGUAGE_CODE, stored on the row.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Account
from accounts.selectors import accounts_visible_to
from core.days import business_today
from metrics.models import AccountDailyStatus, HealthColor
from metrics.selectors import near_deep_accounts
from plays import reasons as cta_reasons
from plays.models import CTA
from plays.selectors import person_ctas_of_week
from verticals.models import Membership, Role
from visits.models import ActionItem, DigestDelivery, DigestStatus, Requirement
from visits.selectors import (
    action_items_visible_to,
    my_accounts_q,
    my_action_items_q,
    requirement_sla_hours,
    requirements_visible_to,
)

logger = logging.getLogger(__name__)

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
# Roles that get a digest.
DIGEST_ROLES = (Role.CSM, Role.LEAD)


class InvalidWeek(ValueError):
    """A week that is not an ISO week written like 2026-W48."""


def parse_week(value: str) -> dt.date:
    """The Monday of the ISO week `value` (like 2026-W48)."""
    match = _WEEK.match(value or "")
    if not match:
        raise InvalidWeek(
            _("%(value)r is not an ISO week; write it like 2026-W48.") % {"value": value}
        )
    try:
        return dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise InvalidWeek(_("%(value)s has no such week number.") % {"value": value}) from None


def week_of(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def current_week() -> str:
    return week_of(business_today())


def absolute(path: str) -> str:
    return settings.FRONTLINE_BASE_URL.rstrip("/") + path


@dataclass
class Digest:
    """What one person's digest of one week says (nothing written yet)."""

    user: object
    week: str
    monday: dt.date
    sunday: dt.date
    as_of: dt.date
    turned_red: list[AccountDailyStatus] = field(default_factory=list)
    overdue_requirements: list[Requirement] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    near_deep: list[AccountDailyStatus] = field(default_factory=list)
    new_ctas: list[CTA] = field(default_factory=list)
    overdue_ctas: list[CTA] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.turned_red
            or self.overdue_requirements
            or self.action_items
            or self.near_deep
            or self.new_ctas
            or self.overdue_ctas
        )


def digest_recipients() -> QuerySet:
    """Active people holding the CSM or lead role, with an email address."""
    holders = Membership.objects.filter(user=OuterRef("pk"), role__in=list(DIGEST_ROLES))
    return (
        get_user_model()
        .objects.filter(Exists(holders), is_active=True)
        .exclude(email="")
        .order_by("username")
    )


def digest_accounts(user) -> QuerySet[Account]:
    """A lead's verticals' accounts and the accounts the person owns or serves, within their scope."""
    led = Membership.objects.filter(user=user, role=Role.LEAD).values("vertical_id")
    return accounts_visible_to(user).filter(Q(vertical_id__in=led) | my_accounts_q(user))


def build_digest(*, user, week: str, now: dt.datetime | None = None) -> Digest:
    """Read what `user`'s digest of `week` says; writes nothing (the dry run uses it as is)."""
    monday = parse_week(week)
    sunday = monday + dt.timedelta(days=6)
    as_of = monday - dt.timedelta(days=1)
    now = now or timezone.now()
    accounts = digest_accounts(user)
    account_ids = accounts.values("pk")

    was_fine = AccountDailyStatus.objects.filter(
        account_id=OuterRef("account_id"),
        day=as_of - dt.timedelta(days=7),
        color__in=[HealthColor.GREEN, HealthColor.YELLOW],
    )
    turned_red = (
        AccountDailyStatus.objects.filter(
            day=as_of, color=HealthColor.RED, account_id__in=account_ids
        )
        .filter(Exists(was_fine))
        .select_related("account")
        .order_by("score", "account__name")
    )
    mine = Q(account_id__in=account_ids)
    overdue = (
        requirements_visible_to(user)
        .overdue(sla_hours=requirement_sla_hours(), now=now)
        .filter(mine | Q(owner=user))
        .select_related("account")
        .order_by("raised_at")
    )
    actions = (
        action_items_visible_to(user)
        .open()
        .filter(due_on__lte=sunday)
        .filter(mine | my_action_items_q(user))
        .select_related("account", "owner")
        .order_by("due_on", "id")
    )
    ctas = person_ctas_of_week(user=user, monday=monday)
    return Digest(
        user=user,
        week=week,
        monday=monday,
        sunday=sunday,
        as_of=as_of,
        turned_red=list(turned_red),
        overdue_requirements=list(overdue),
        action_items=list(actions),
        near_deep=list(near_deep_accounts(accounts_qs=accounts, day=as_of)),
        new_ctas=ctas["new"],
        overdue_ctas=ctas["overdue"],
    )


def render_digest(digest: Digest, *, language: str) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a digest, in `language`, with absolute links."""
    with translation.override(language):
        context = {
            "digest": digest,
            "user": digest.user,
            "turned_red": [
                {
                    "row": row,
                    "url": absolute(reverse("account-detail", args=[row.account.external_id])),
                }
                for row in digest.turned_red
            ],
            "overdue_requirements": [
                {
                    "requirement": r,
                    "url": absolute(reverse("admin:visits_requirement_change", args=[r.pk])),
                    "hours": _hours_since(r.raised_at),
                    # Past two days, the age reads better in days.
                    "days": _hours_since(r.raised_at) // 24
                    if _hours_since(r.raised_at) >= 48
                    else 0,
                }
                for r in digest.overdue_requirements
            ],
            "action_items": [
                {
                    "item": item,
                    "url": absolute(reverse("admin:visits_actionitem_change", args=[item.pk])),
                    "overdue": item.due_on < digest.monday,
                }
                for item in digest.action_items
            ],
            "near_deep": [
                {
                    "row": row,
                    "url": absolute(reverse("account-detail", args=[row.account.external_id])),
                    "is_dag_rate": row.missing_criterion == "dag_rate",
                }
                for row in digest.near_deep
            ],
            "new_ctas": [_cta_entry(cta) for cta in digest.new_ctas],
            "overdue_ctas": [_cta_entry(cta) for cta in digest.overdue_ctas],
            "plan_url": absolute(reverse("visit-plan")),
            "base_url": settings.FRONTLINE_BASE_URL,
            "language": language,
        }
        subject = _("Frontline weekly digest %(week)s: %(summary)s") % {
            "week": digest.week,
            "summary": _summary(digest),
        }
        text = render_to_string("visits/digest.txt", context)
        html = render_to_string("visits/digest.html", context)
    return subject, text, html


def _cta_entry(cta: CTA) -> dict:
    """A CTA as the digest shows it; the reason in the language being rendered."""
    return {
        "cta": cta,
        "reason": cta_reasons.render(cta.play.trigger, cta.reason_numbers),
        "url": absolute(reverse("admin:plays_cta_change", args=[cta.pk])),
    }


def _hours_since(moment: dt.datetime) -> int:
    return int((timezone.now() - moment).total_seconds() // 3600)


def _summary(digest: Digest) -> str:
    parts = []
    if digest.turned_red:
        n = len(digest.turned_red)
        parts.append(
            ngettext("%(n)d account turned red", "%(n)d accounts turned red", n) % {"n": n}
        )
    if digest.overdue_requirements:
        n = len(digest.overdue_requirements)
        parts.append(
            ngettext("%(n)d requirement overdue", "%(n)d requirements overdue", n) % {"n": n}
        )
    if digest.action_items:
        n = len(digest.action_items)
        parts.append(ngettext("%(n)d action item due", "%(n)d action items due", n) % {"n": n})
    if digest.near_deep:
        n = len(digest.near_deep)
        parts.append(
            ngettext(
                "%(n)d account near deep integration", "%(n)d accounts near deep integration", n
            )
            % {"n": n}
        )
    if digest.new_ctas:
        n = len(digest.new_ctas)
        parts.append(ngettext("%(n)d new CTA", "%(n)d new CTAs", n) % {"n": n})
    if digest.overdue_ctas:
        n = len(digest.overdue_ctas)
        parts.append(ngettext("%(n)d CTA overdue", "%(n)d CTAs overdue", n) % {"n": n})
    return ", ".join(parts) if parts else _("nothing needs you")


def language_for(user) -> str:
    """The person's language. No per-user preference exists yet: the site's language."""
    return getattr(user, "language", None) or settings.LANGUAGE_CODE


def prepare_week(*, week: str) -> list[int]:
    """Write the week's digest rows that do not exist yet; return the ids still to send.

    A person who already has a row for the week keeps it untouched (whatever
    its status). Rows with nothing to report are recorded as `empty` and never
    sent. The returned ids are the week's `ready` and `failed` rows.
    """
    parse_week(week)
    existing = set(DigestDelivery.objects.filter(week=week).values_list("user_id", flat=True))
    for user in digest_recipients():
        if user.pk in existing:
            continue
        digest = build_digest(user=user, week=week)
        language = language_for(user)
        subject, text, html = render_digest(digest, language=language)
        try:
            with transaction.atomic():
                DigestDelivery.objects.create(
                    user=user,
                    week=week,
                    language=language,
                    to_email=user.email,
                    subject=subject[:200],
                    body_text=text,
                    body_html=html,
                    status=DigestStatus.EMPTY if digest.is_empty else DigestStatus.READY,
                )
        except IntegrityError:
            # Another run wrote this person's row first; theirs stands.
            continue
    return list(
        DigestDelivery.objects.filter(
            week=week, status__in=[DigestStatus.READY, DigestStatus.FAILED]
        )
        .order_by("id")
        .values_list("id", flat=True)
    )


def send_delivery(*, delivery_id: int) -> bool:
    """Send one digest row if it is ready (or failed before); True when this call sent it.

    The row is claimed by a conditional update (ready/failed → sending), so two
    workers given the same id cannot both send it. A failure marks it failed
    with the error, for the next run to retry; a crash while sending leaves it
    `sending`, which is never re-sent automatically (at most once).
    """
    claimed = DigestDelivery.objects.filter(
        pk=delivery_id, status__in=[DigestStatus.READY, DigestStatus.FAILED]
    ).update(status=DigestStatus.SENDING)
    if not claimed:
        return False
    delivery = DigestDelivery.objects.get(pk=delivery_id)
    message = EmailMultiAlternatives(
        subject=delivery.subject,
        body=delivery.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.to_email],
        headers={"Content-Language": delivery.language},
    )
    message.attach_alternative(delivery.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:  # any transport error: record it, retry on the next run
        logger.warning("digest delivery=%s failed: %s", delivery_id, exc.__class__.__name__)
        DigestDelivery.objects.filter(pk=delivery_id).update(
            status=DigestStatus.FAILED,
            attempts=delivery.attempts + 1,
            last_error=f"{exc.__class__.__name__}: {exc}"[:2000],
        )
        return False
    DigestDelivery.objects.filter(pk=delivery_id).update(
        status=DigestStatus.SENT, attempts=delivery.attempts + 1, sent_at=timezone.now()
    )
    return True
