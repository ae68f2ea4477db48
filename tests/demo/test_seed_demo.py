"""seed_demo builds a believable, deterministic data set and reuses it on a second run."""

import pytest
from django.core.management import call_command

from accounts.models import Account
from metrics.models import AppUsage, ConnectorUsage
from verticals.models import Vertical
from verticals.selectors import staffing
from visits.models import Requirement, Visit

pytestmark = pytest.mark.django_db


def test_seed_demo_small(capsys):
    call_command("seed_demo", "--accounts", "40", verbosity=0)
    named = {
        "liby",
        "sh-mitsubishi-elevator",
        "mengniu",
        "fosun",
        "east-hope",
        "shandong-energy",
        "luhua",
        "bosideng",
        "belle-fashion",
        "xtep",
    }
    assert named <= set(Account.objects.values_list("external_id", flat=True))
    assert Account.objects.count() == 50
    assert Account.objects.get(external_id="liby").local_name == "立白集团"
    for vertical in Vertical.objects.all():
        assert all(staffing(vertical).values()), vertical.code
        assert vertical.memberships.filter(role="lead").exists()
    assert (
        AppUsage.objects.filter(account__external_id="liby").values("day").distinct().count() >= 60
    )
    # Deep customers have ERP connectors flowing; chat-only ones none.
    assert ConnectorUsage.objects.filter(account__external_id="liby").exists()
    assert not ConnectorUsage.objects.filter(account__external_id="belle-fashion").exists()
    assert Visit.objects.filter(account__external_id="liby").exists()
    assert Requirement.objects.exists()

    rows = AppUsage.objects.count()
    call_command("seed_demo", "--accounts", "40")
    assert "reusing" in capsys.readouterr().out
    assert AppUsage.objects.count() == rows


def test_seed_demo_is_deterministic_and_reset_rebuilds():
    call_command("seed_demo", "--accounts", "10", verbosity=0)
    first = sorted(
        AppUsage.objects.filter(account__external_id="ent-00003").values_list(
            "day", "app__code", "minutes"
        )
    )
    call_command("seed_demo", "--accounts", "10", "--reset", verbosity=0)
    again = sorted(
        AppUsage.objects.filter(account__external_id="ent-00003").values_list(
            "day", "app__code", "minutes"
        )
    )
    assert first == again and first
    assert Account.objects.count() == 20


def test_make_demo_shows_open_and_closed_ctas():
    """seed_demo, then what `make demo` runs after it: CTAs of every status, believable."""
    from plays.models import CTA

    call_command("seed_demo", "--accounts", "60", verbosity=0)
    worked = CTA.objects.all()
    assert {c.status for c in worked} == {"done", "dismissed", "resolved"}
    assert all(c.note for c in worked.filter(status="dismissed"))
    assert all(all(s["done"] for s in c.steps) for c in worked.filter(status="done"))
    assert all(c.owner_id for c in worked)
    call_command("recompute_metrics", verbosity=0)
    call_command("run_plays", "--days", "30", verbosity=0)
    assert CTA.objects.filter(status="open").exists()
    assert (
        CTA.objects.filter(status="open", owner__isnull=False).count()
        == CTA.objects.filter(status="open").count()
    )
