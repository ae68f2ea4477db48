"""The weekly digest's CTAs: new ones (opened the week before) and overdue ones, per person."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from reports import digest
from tests import factories

pytestmark = pytest.mark.django_db

WEEK = "2026-W46"
MONDAY = dt.date(2026, 11, 9)


@pytest.fixture
def ctas(csm, other_csm):
    account = factories.AccountFactory(owner_csm=csm, name="Alpha Motors")
    theirs = factories.AccountFactory(
        owner_csm=other_csm, vertical=factories.vertical("consumer_retail"), name="Retail One"
    )
    day = lambda n: MONDAY + dt.timedelta(days=n)  # noqa: E731
    return {
        # opened Sunday, due later: new
        "new": factories.cta(account, owner=csm, opened_on=day(-1), due_in=7),
        # opened on the week's Monday itself: next week's news
        "this_week": factories.cta(account, "turned_red", owner=csm, opened_on=day(0)),
        # opened two weeks before, due before Monday: overdue, not new
        "overdue": factories.cta(
            account, "renewal_at_risk", owner=csm, opened_on=day(-14), due_in=7
        ),
        # opened the week before and already overdue: both
        "both": factories.cta(account, "dag_rate_fell", owner=csm, opened_on=day(-7), due_in=3),
        "closed": factories.cta(
            account, "near_deep", owner=csm, opened_on=day(-3), status="done", closed_on=day(-2)
        ),
        "theirs": factories.cta(theirs, owner=other_csm, opened_on=day(-2)),
    }


def test_the_digest_has_my_new_and_overdue_ctas(csm, ctas):
    week = digest.build_digest(user=csm, week=WEEK)
    assert [c.pk for c in week.new_ctas] == [ctas["both"].pk, ctas["new"].pk]
    assert [c.pk for c in week.overdue_ctas] == [ctas["overdue"].pk, ctas["both"].pk]
    assert not week.is_empty
    subject, text, html = digest.render_digest(week, language="en")
    assert "2 new CTAs" in subject and "2 CTAs overdue" in subject
    assert "no visit in the last 45 days (never visited)" in text
    assert f"/admin/plays/cta/{ctas['new'].pk}/change/" in html
    assert "Retail One" not in text


def test_the_digest_reads_ctas_in_the_persons_language(csm, ctas):
    week = digest.build_digest(user=csm, week=WEEK)
    _subject, text, _html = digest.render_digest(week, language="zh-hans")
    with translation.override("zh-hans"):
        heading = translation.gettext("New CTAs (opened last week)")
    assert heading != "New CTAs (opened last week)"
    assert heading in text


def test_a_digest_with_only_ctas_is_not_empty(other_csm, ctas):
    week = digest.build_digest(user=other_csm, week=WEEK)
    assert [c.pk for c in week.new_ctas] == [ctas["theirs"].pk]
    assert not week.is_empty
