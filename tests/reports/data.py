"""Stored-status builders for the pipeline tests (and the browser test's realistic data set).

Status rows are written directly, as the metrics engine would store them, so
these tests check the pages against known stored numbers.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from accounts.models import AccountTeamMember, Stage
from metrics import rules
from metrics.models import AccountDailyStatus, MetricPolicy
from tests import factories
from visits.models import RequirementStatus


def status_row(account, day: dt.date, **fields) -> AccountDailyStatus:
    """Store one status row; colour and score follow the points unless given."""
    policy = fields.pop("policy", None) or MetricPolicy.objects.latest()
    points = {
        "points_dag_rate": fields.pop("points_dag_rate", 20.0),
        "points_integration": fields.pop("points_integration", 20.0),
        "points_breadth": fields.pop("points_breadth", 10.0),
        "points_recency": fields.pop("points_recency", 10.0),
        "points_requirements": fields.pop("points_requirements", 10.0),
    }
    score = fields.pop("score", int(sum(points.values()) + 0.5))
    color = fields.pop("color", rules.color_for(score, policy))
    return AccountDailyStatus.objects.create(
        account=account, day=day, policy=policy, score=score, color=color, **points, **fields
    )


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    """An aware datetime on `day` at `hour` in the business time zone."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_default_timezone())


ACCOUNTS_PER_VERTICAL = {
    "manufacturing": 8,
    "consumer_retail": 7,
    "energy_resources": 5,
    "agri_food": 4,
    "conglomerate_services": 6,
}
NAMES = {
    "manufacturing": [("Huaxin Motors", "华信汽车"), ("Dongfang Steel", "东方钢铁")],
    "consumer_retail": [("Jiahe Supermarkets", "嘉禾超市"), ("Lanting Apparel", "兰亭服饰")],
    "energy_resources": [("Beifang Power", "北方电力"), ("Haiyang Oil", "海洋石油")],
    "agri_food": [("Fengshou Grain", "丰收粮业"), ("Qingshan Dairy", "青山乳业")],
    "conglomerate_services": [("Tianyuan Group", "天元集团"), ("Hengtai Holdings", "恒泰控股")],
}
STAGES = [Stage.ADOPTING, Stage.EXPANDING, Stage.ONBOARDING, Stage.AT_RISK, Stage.PROSPECT]


def _history(rnd: random.Random, *, final_level: int, turns_red: bool, days: int = 90):
    """(back, level, minutes, apps, dag_rate, red_now) for each day, oldest first.

    The account climbs one level roughly every few weeks and reaches
    `final_level` on a day of its own, so the trends rise in steps.
    """
    reached = rnd.randint(3, 75)  # days before `day` when the final level was reached
    step = rnd.randint(10, 25)
    dag_rate = 0.15
    for back in range(days - 1, -1, -1):
        level = max(0, final_level - (0 if back < reached else 1 + (back - reached) // step))
        minutes = rnd.randint(40, 420) if level else rnd.randint(0, 90)
        apps = rnd.randint(2, 7) if level else rnd.randint(1, 3)
        target = [0.1, 0.3, 0.45, 0.7][level]
        dag_rate = round(min(1.0, max(0.0, dag_rate + (target - dag_rate) * 0.15)), 3)
        yield back, level, minutes, apps, dag_rate, turns_red and back < 4


def realistic_data_set(*, day: dt.date, seed: int = 7) -> dict:
    """A small, realistic data set over the 90 days up to `day` for pages and screenshots.

    Every vertical gets a full team (tech, bd, sa, csm, lead), accounts along
    the path none → connected → integrated → deep with 90 days of stored
    status (one of them per vertical turning red in the last days), visits
    this week, and requirements with response times.
    Returns {"coo": user, "accounts": [...], "deep": a manufacturing account at level 3}.
    """
    rnd = random.Random(seed)
    coo = factories.person("coo", None, username="coo_demo", first_name="Valerie Chen")
    policy = MetricPolicy.objects.latest()
    accounts = []
    deep_account = None
    for code, count in ACCOUNTS_PER_VERTICAL.items():
        team = {
            role: factories.person(role, code, username=f"{role}_{code}")
            for role in ("tech", "bd", "sa", "csm", "lead")
        }
        vertical_accounts = []
        for i in range(count):
            base_name, local = NAMES[code][i % 2]
            account = factories.AccountFactory(
                name=f"{base_name} {i + 1}",
                local_name=f"{local}{i + 1}",
                vertical=factories.vertical(code),
                headcount=rnd.choice([3_000, 12_000, 45_000, 150_000, 1_200_000]),
                stage=STAGES[i % len(STAGES)],
                owner_csm=team["csm"],
                region=rnd.choice(["East China", "North China", "South China", "West China"]),
            )
            accounts.append(account)
            vertical_accounts.append(account)
            for role in ("csm", "sa"):
                AccountTeamMember.objects.create(account=account, user=team[role], role=role)
            final_level = {0: 3, 3: 2}.get(i) or rnd.choice([0, 1, 2, 2, 3, 3])
            rows = []
            for back, level, minutes, apps, dag_rate, red_now in _history(
                rnd, final_level=final_level, turns_red=i == 3
            ):
                points = {
                    "points_dag_rate": 0.0 if red_now else 30 * min(1.0, dag_rate / 0.5),
                    "points_integration": 30 * level / 3,
                    "points_breadth": 15 * min(1.0, apps / 6),
                    "points_recency": 2.0 if red_now else 12.0,
                    "points_requirements": 0.0 if red_now else 10.0,
                }
                score = min(100, int(sum(points.values()) + 0.5))
                rows.append(
                    AccountDailyStatus(
                        account=account,
                        day=day - dt.timedelta(days=back),
                        policy=policy,
                        minutes=minutes,
                        apps_used=apps,
                        is_dag=minutes >= 60 and apps >= 3,
                        dag_days=round(dag_rate * 30),
                        dag_rate=dag_rate,
                        connectors=[0, 1, 2, 3][level],
                        records=[0, 2_000, 25_000, 80_000][level],
                        analytics_days=6 if level == 3 else 2,
                        max_apps_used=apps,
                        deep_integration_level=level,
                        days_since_visit=rnd.randint(1, 40),
                        score=score,
                        color=rules.color_for(score, policy),
                        **points,
                    )
                )
            AccountDailyStatus.objects.bulk_create(rows)
            if final_level == 3 and deep_account is None and code == "manufacturing":
                deep_account = account
            if final_level >= 1:
                for back in range(30):
                    factories.connector_usage(
                        account, day - dt.timedelta(days=back), "kingdee_k3", 900 + 10 * back
                    )
                    if final_level >= 2:
                        factories.connector_usage(
                            account, day - dt.timedelta(days=back), "salesforce", 300
                        )
            visit = factories.VisitFactory(
                account=account,
                author=team["csm"],
                visited_on=day - dt.timedelta(days=rnd.randint(0, 9)),
                purpose="Integration review",
            )
            if i % 2 == 0:
                visit.staff_attendees.add(team["sa"])
            if i % 3 == 0:
                visit.staff_attendees.add(team["bd"])
            factories.RequirementFactory(
                account=account,
                visit=visit,
                title="Connect the Kingdee K3 ERP",
                raised_at=at(day - dt.timedelta(days=10)),
                first_response_at=at(day - dt.timedelta(days=10), 12 + rnd.randint(1, 10)),
                status=RequirementStatus.IN_PROGRESS,
            )
            if i % 3 == 0:
                factories.RequirementFactory(
                    account=account,
                    title="Single sign-on with the MES",
                    raised_at=at(day - dt.timedelta(days=3)),
                )
        for back in rnd.sample(range(7), 2 if code != "agri_food" else 1):
            factories.VisitFactory(
                account=rnd.choice(vertical_accounts),
                author=coo,
                visited_on=day - dt.timedelta(days=back),
                visit_type="executive",
                purpose="Executive visit",
            )
    return {"coo": coo, "accounts": accounts, "deep": deep_account}
