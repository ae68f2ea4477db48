"""A deterministic, realistic demo data set: staffed verticals, large customers, 110 days of feeds.

The ten large customers of the story behind Frontline come first, then about
2,000 generated enterprises across the size tiers. Each account follows a
usage profile (deep integration with ERP connectors and analytics, chat only,
declining, …) so that the metrics, the pipeline and the visit planner have
something true-looking to show. Same seed and same day: same data.

The seed also writes the CTAs people worked before the demo's last month
(done with their steps ticked, dismissed with a note, resolved), so the
account pages and the pipeline's "median days to close" have a history.
The open CTAs and the recent self-resolutions come from the plays themselves:
`make demo` runs `run_plays --days 30` after `recompute_metrics`, over the
stored status the seed cannot write.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from accounts import list_cache
from accounts.models import (
    Account,
    AccountTeamMember,
    Contact,
    ContactRole,
    IntegrationProject,
    Stage,
)
from metrics.models import App, AppUsage, Connector, ConnectorUsage
from plays.models import CTA, CTAStatus, Play
from verticals.models import ROLE_GROUPS, Membership, Role, Vertical
from visits.models import ActionItem, Requirement, RequirementStatus, Visit, VisitType

DEMO_PASSWORD = "frontline-demo"
# The pipeline's 12-week trend reaches back 77 days from yesterday, and each of its days needs a
# full 30-day window of feeds before it: 108 days, and a couple spare, so the demo shows no warm-up.
DEMO_DAYS = 110
GENERATED_ACCOUNTS = 2_000
REGIONS = [
    "East China",
    "South China",
    "North China",
    "Central China",
    "Southwest",
    "Northwest",
    "Northeast",
]


@dataclass(frozen=True)
class NamedCustomer:
    external_id: str
    name: str
    local_name: str
    vertical: str
    headcount: int
    region: str
    profile: str
    dedicated: bool = False
    connectors: tuple[str, ...] = ()
    sponsor: tuple[str, str] = ("", "")


# The large customers named in the story (context/dingtalk-large-customers.txt).
NAMED_CUSTOMERS = [
    NamedCustomer(
        "liby",
        "Liby Group",
        "立白集团",
        "consumer_retail",
        30_000,
        "South China",
        "deep",
        connectors=("yonyou_nc", "salesforce"),
        sponsor=("陈泽滨", "President"),
    ),
    NamedCustomer(
        "sh-mitsubishi-elevator",
        "Shanghai Mitsubishi Elevator",
        "上海三菱电梯",
        "manufacturing",
        12_000,
        "East China",
        "deep",
        dedicated=True,
        connectors=("ibm_notes", "sap_s4", "mes_generic"),
        sponsor=("", "CIO"),
    ),
    NamedCustomer(
        "mengniu",
        "Mengniu Dairy",
        "蒙牛集团",
        "agri_food",
        40_000,
        "North China",
        "deep",
        connectors=("yonyou_nc", "mes_generic"),
        sponsor=("", "Executive VP"),
    ),
    NamedCustomer(
        "fosun",
        "Fosun International",
        "复星集团",
        "conglomerate_services",
        108_000,
        "East China",
        "integrated",
        connectors=("sap_s4", "kingdee_cloud"),
    ),
    NamedCustomer(
        "east-hope",
        "East Hope Group",
        "东方希望集团",
        "energy_resources",
        30_000,
        "Southwest",
        "connected",
        connectors=("kingdee_cloud",),
    ),
    NamedCustomer(
        "shandong-energy",
        "Shandong Energy",
        "山东能源集团",
        "energy_resources",
        220_000,
        "North China",
        "declining",
        dedicated=True,
        connectors=("yonyou_nc", "sap_s4"),
    ),
    NamedCustomer(
        "luhua",
        "Luhua Group",
        "鲁花集团",
        "agri_food",
        20_000,
        "North China",
        "near_deep",
        connectors=("kingdee_k3", "yonyou_u8"),
    ),
    NamedCustomer(
        "bosideng",
        "Bosideng",
        "波司登",
        "consumer_retail",
        30_000,
        "East China",
        "deep",
        connectors=("kingdee_cloud", "salesforce"),
    ),
    NamedCustomer(
        "belle-fashion",
        "Belle Fashion",
        "百丽时尚",
        "consumer_retail",
        120_000,
        "South China",
        "chat_only",
    ),
    NamedCustomer(
        "xtep",
        "Xtep",
        "特步",
        "consumer_retail",
        15_000,
        "Southeast",
        "declining",
        connectors=("kingdee_k3",),
    ),
]

# (profile, share of generated accounts)
PROFILES = [
    ("deep", 0.10),
    ("near_deep", 0.06),
    ("integrated", 0.10),
    ("connected", 0.14),
    ("chat_only", 0.30),
    ("declining", 0.10),
    ("dormant", 0.20),
]
PROFILE_STAGE = {
    "deep": Stage.EXPANDING,
    "near_deep": Stage.EXPANDING,
    "integrated": Stage.ADOPTING,
    "connected": Stage.ADOPTING,
    "chat_only": Stage.ADOPTING,
    "declining": Stage.AT_RISK,
    "dormant": Stage.ONBOARDING,
}
CHAT_APPS = ("chat", "attendance", "approval", "hr", "meetings")
WORK_APPS = ("chat", "meetings", "mail", "docs", "projects", "approval", "attendance", "lowcode")
ANALYTICS_APPS = ("reports", "bi")
ERP_CONNECTORS = ("yonyou_u8", "yonyou_nc", "kingdee_k3", "kingdee_cloud", "sap_s4")

NAME_HEADS = [
    "Hua",
    "Zhong",
    "Xin",
    "Tian",
    "Jin",
    "Long",
    "Hai",
    "Dong",
    "Guo",
    "Hong",
    "Sheng",
    "Yong",
    "Kai",
    "Ming",
    "Rui",
    "Feng",
    "Heng",
    "Tai",
    "Chang",
    "Bao",
]
LOCAL_HEADS = [
    "华",
    "中",
    "新",
    "天",
    "金",
    "龙",
    "海",
    "东",
    "国",
    "宏",
    "盛",
    "永",
    "凯",
    "明",
    "瑞",
    "丰",
    "恒",
    "泰",
    "长",
    "宝",
]
NAME_TAILS = ["xin", "da", "yuan", "tong", "cheng", "an", "kang", "li", "run", "ye"]
LOCAL_TAILS = ["信", "达", "源", "通", "诚", "安", "康", "立", "润", "业"]
VERTICAL_TRADES = {
    "manufacturing": [
        ("Precision Machinery", "精密机械"),
        ("Auto Parts", "汽车零部件"),
        ("Electronics", "电子"),
        ("Heavy Industry", "重工"),
    ],
    "consumer_retail": [
        ("Retail", "零售"),
        ("Apparel", "服饰"),
        ("Daily Chemicals", "日化"),
        ("Home Goods", "家居"),
    ],
    "energy_resources": [
        ("Energy", "能源"),
        ("Mining", "矿业"),
        ("Power", "电力"),
        ("Chemicals", "化工"),
    ],
    "agri_food": [
        ("Foods", "食品"),
        ("Dairy", "乳业"),
        ("Agriculture", "农业"),
        ("Beverages", "饮料"),
    ],
    "conglomerate_services": [
        ("Holdings", "控股"),
        ("Logistics", "物流"),
        ("Real Estate", "地产"),
        ("Financial Services", "金融服务"),
    ],
}


def demo_present() -> bool:
    return Account.objects.filter(external_id=NAMED_CUSTOMERS[0].external_id).exists()


def reset_demo() -> None:
    """Remove the demo's accounts (and all that hangs off them) and its people."""
    with transaction.atomic():
        AppUsage.objects.all().delete()
        ConnectorUsage.objects.all().delete()
        ActionItem.objects.all().delete()
        Requirement.objects.all().delete()
        Visit.objects.all().delete()
        Account.objects.all().delete()
        get_user_model().objects.filter(username__in=list(demo_usernames())).delete()


def demo_usernames():
    yield from ("admin", "coo")
    for code in Vertical.objects.values_list("code", flat=True):
        for prefix in ("tech", "bd", "sa", "csm", "csm2", "lead"):
            yield f"{prefix}_{code}"


def _size(rng: random.Random) -> int:
    tier = rng.random()
    if tier < 0.30:
        return rng.randint(300, 1_999)
    if tier < 0.70:
        return rng.randint(2_000, 9_999)
    if tier < 0.92:
        return rng.randint(10_000, 99_999)
    if tier < 0.985:
        return rng.randint(100_000, 999_999)
    return rng.randint(1_000_000, 1_600_000)


class DemoBuilder:
    def __init__(
        self,
        *,
        seed: int = 7,
        today: dt.date | None = None,
        accounts: int = GENERATED_ACCOUNTS,
        progress: Callable[[str], None] | None = None,
    ):
        self.rng = random.Random(seed)
        self.today = today or timezone.localdate()
        self.days = [self.today - dt.timedelta(days=n) for n in range(DEMO_DAYS, 0, -1)]
        self.generated = accounts
        self.progress = progress or (lambda step: None)
        self.apps = {a.code: a.id for a in App.objects.all()}
        self.connectors = {c.code: c.id for c in Connector.objects.all()}
        self.connector_names = {c.code: c.name for c in Connector.objects.all()}
        self.verticals = {v.code: v for v in Vertical.objects.all()}

    # --- people -------------------------------------------------------------------------
    def people(self) -> dict[str, object]:
        User = get_user_model()
        groups = {role: Group.objects.get(name=name) for role, name in ROLE_GROUPS.items()}
        users = {}
        # One hash for every demo login: hashing is deliberately slow.
        password_hash = make_password(DEMO_PASSWORD)

        def make(username, full_name, *, role=None, vertical=None, superuser=False):
            user, _ = User.objects.get_or_create(
                username=username, defaults={"first_name": full_name}
            )
            user.first_name = full_name
            user.email = f"{username}@frontline.example"
            user.is_staff = True
            user.is_superuser = superuser
            user.password = password_hash
            user.save()
            if role:
                Membership.objects.get_or_create(user=user, vertical=vertical, role=role)
                user.groups.add(groups[role])
            users[username] = user
            return user

        make("admin", "Site administrator", superuser=True)
        make("coo", "Ku Wei 库伟", role=Role.COO)
        surnames = [
            "Wang",
            "Li",
            "Zhang",
            "Liu",
            "Chen",
            "Yang",
            "Zhao",
            "Huang",
            "Zhou",
            "Wu",
            "Xu",
            "Sun",
            "Ma",
            "Zhu",
            "Hu",
            "Guo",
            "He",
            "Lin",
            "Luo",
            "Gao",
            "Zheng",
            "Liang",
            "Xie",
            "Song",
            "Tang",
            "Han",
            "Feng",
            "Deng",
            "Cao",
            "Peng",
        ]
        n = 0
        for code, vertical in self.verticals.items():
            for prefix, role in (
                ("tech", Role.TECH),
                ("bd", Role.BD),
                ("sa", Role.SA),
                ("csm", Role.CSM),
                ("csm2", Role.CSM),
                ("lead", Role.LEAD),
            ):
                make(
                    f"{prefix}_{code}",
                    f"{surnames[n % len(surnames)]} {prefix.upper()}",
                    role=role,
                    vertical=vertical,
                )
                n += 1
        return users

    # --- accounts -----------------------------------------------------------------------
    def accounts(self, users) -> list[tuple[Account, str, tuple[str, ...]]]:
        rng = self.rng
        rows = []
        for c in NAMED_CUSTOMERS:
            rows.append(
                (
                    Account(
                        external_id=c.external_id,
                        name=c.name,
                        local_name=c.local_name,
                        vertical=self.verticals[c.vertical],
                        headcount=c.headcount,
                        region=c.region,
                        dedicated_deployment=c.dedicated,
                        cloud_customer=True,
                        stage=PROFILE_STAGE[c.profile],
                        owner_csm=users[f"csm_{c.vertical}"],
                        renewal_date=self.today + dt.timedelta(days=rng.randint(20, 400)),
                    ),
                    c.profile,
                    c.connectors,
                )
            )
        codes = list(self.verticals)
        profile_names = [p for p, _ in PROFILES]
        weights = [w for _, w in PROFILES]
        for i in range(self.generated):
            code = codes[i % len(codes)]
            trade, local_trade = rng.choice(VERTICAL_TRADES[code])
            h, t = rng.randrange(len(NAME_HEADS)), rng.randrange(len(NAME_TAILS))
            profile = rng.choices(profile_names, weights)[0]
            connectors: tuple[str, ...] = ()
            if profile in ("deep", "near_deep", "integrated", "declining"):
                connectors = tuple(
                    rng.sample(ERP_CONNECTORS, 1)
                    + rng.sample(["salesforce", "mes_generic", "ibm_notes"], rng.randint(1, 2))
                )
            elif profile == "connected":
                connectors = (rng.choice(ERP_CONNECTORS),)
            stage = PROFILE_STAGE[profile]
            if profile == "dormant" and rng.random() < 0.3:
                stage = rng.choice([Stage.PROSPECT, Stage.CHURNED])
            rows.append(
                (
                    Account(
                        external_id=f"ent-{i + 1:05d}",
                        name=f"{NAME_HEADS[h]}{NAME_TAILS[t]} {trade} #{i + 1}",
                        local_name=f"{LOCAL_HEADS[h]}{LOCAL_TAILS[t]}{local_trade}{i + 1}号",
                        vertical=self.verticals[code],
                        headcount=_size(rng),
                        region=rng.choice(REGIONS),
                        dedicated_deployment=rng.random() < 0.08,
                        cloud_customer=rng.random() < 0.45,
                        stage=stage,
                        owner_csm=users[f"{rng.choice(['csm', 'csm2'])}_{code}"],
                        renewal_date=self.today + dt.timedelta(days=rng.randint(-30, 540)),
                    ),
                    profile,
                    connectors,
                )
            )
        Account.objects.bulk_create([a for a, _, _ in rows], batch_size=1000)
        saved = {a.external_id: a for a in Account.objects.all()}
        return [(saved[a.external_id], p, c) for a, p, c in rows]

    def team_and_contacts(self, accounts, users) -> None:
        rng = self.rng
        contacts, team, projects = [], [], []
        titles = [
            (ContactRole.EXECUTIVE_SPONSOR, "CEO"),
            (ContactRole.DECISION_MAKER, "CIO"),
            (ContactRole.IT_OWNER, "IT Director"),
            (ContactRole.CHAMPION, "Digital Transformation Lead"),
            (ContactRole.USER, "HR Manager"),
        ]
        sponsors = {c.external_id: c.sponsor for c in NAMED_CUSTOMERS}
        for account, profile, connectors in accounts:
            named = account.external_id in sponsors
            for role, title in titles[: (5 if named else rng.randint(1, 3))]:
                name = f"{rng.choice(['Chen', 'Lin', 'Zhou', 'Qian', 'Sun', 'Li'])} {rng.choice(['Wei', 'Jie', 'Na', 'Lei', 'Fang', 'Tao'])}"
                if (
                    named
                    and role == ContactRole.EXECUTIVE_SPONSOR
                    and sponsors[account.external_id][0]
                ):
                    name, title = sponsors[account.external_id]
                contacts.append(Contact(account=account, name=name, title=title, role=role))
            code = account.vertical.code
            team.append(AccountTeamMember(account=account, user=account.owner_csm, role=Role.CSM))
            if named:
                for prefix, role in (
                    ("tech", Role.TECH),
                    ("bd", Role.BD),
                    ("sa", Role.SA),
                    ("lead", Role.LEAD),
                ):
                    team.append(
                        AccountTeamMember(
                            account=account, user=users[f"{prefix}_{code}"], role=role
                        )
                    )
            for connector in connectors:
                projects.append(
                    IntegrationProject(
                        account=account,
                        # The connector's name ("IBM Notes"), never its code, on the pages.
                        name=self.connector_names[connector],
                        connector_id=self.connectors[connector],
                        status="live" if profile != "dormant" else "in_progress",
                        owner=users[f"sa_{code}"],
                        started_on=self.days[0] - dt.timedelta(days=rng.randint(30, 300)),
                    )
                )
        Contact.objects.bulk_create(contacts, batch_size=2000)
        AccountTeamMember.objects.bulk_create(team, batch_size=2000)
        IntegrationProject.objects.bulk_create(projects, batch_size=2000)

    # --- feeds --------------------------------------------------------------------------
    def _app_rows(self, account: Account, profile: str):
        rng = random.Random(f"{account.external_id}-apps")
        headcount = account.headcount or 1_000
        adoption = {
            "deep": 0.8,
            "near_deep": 0.7,
            "integrated": 0.6,
            "connected": 0.5,
            "chat_only": 0.4,
            "declining": 0.6,
            "dormant": 0.05,
        }[profile]
        apps = list(WORK_APPS if profile != "chat_only" else CHAT_APPS)
        n = len(self.days)
        for index, day in enumerate(self.days):
            weekend = day.weekday() >= 5
            strength = adoption * (0.25 if weekend else 1.0)
            if profile == "declining" and index >= n - 35:
                strength *= max(0.05, 1 - (index - (n - 35)) / 30)
            used = [a for a in apps if rng.random() < strength * (1.3 if a == "chat" else 0.9)]
            if profile in ("deep",) and not weekend and rng.random() < 0.5:
                used.append(rng.choice(ANALYTICS_APPS))
            if profile == "near_deep" and not weekend and rng.random() < 0.05:
                used.append("reports")
            if profile in ("integrated", "declining") and not weekend and rng.random() < 0.15:
                used.append("reports")
            for app_code in set(used):
                users = max(1, int(headcount * strength * rng.uniform(0.05, 0.4)))
                if profile == "dormant":
                    users = rng.randint(1, 6)
                minutes = users * rng.randint(3, 25)
                yield (account.id, day, self.apps[app_code], minutes, users)

    def _connector_rows(self, account: Account, profile: str, connectors: tuple[str, ...]):
        rng = random.Random(f"{account.external_id}-connectors")
        daily = {
            "deep": (800, 20_000),
            "near_deep": (600, 5_000),
            "integrated": (400, 3_000),
            "connected": (5, 200),
            "declining": (300, 2_000),
            "dormant": (0, 5),
        }.get(profile, (0, 0))
        n = len(self.days)
        for index, day in enumerate(self.days):
            for code in connectors:
                records = rng.randint(*daily)
                if profile == "declining" and index >= n - 35:
                    records = int(records * max(0.0, 1 - (index - (n - 35)) / 20))
                if records and day.weekday() < 5 or records and rng.random() < 0.3:
                    yield (account.id, day, self.connectors[code], records)

    def feeds(self, accounts) -> tuple[int, int]:
        # Raw executemany: the ORM's bulk_create is several times slower for ~0.5M rows.
        # Table names come from our own model metadata, never from input.
        app_table = AppUsage._meta.db_table
        connector_table = ConnectorUsage._meta.db_table
        app_sql = f"INSERT INTO {app_table} (account_id, day, app_id, minutes, active_users) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608
        connector_sql = f"INSERT INTO {connector_table} (account_id, day, connector_id, records) VALUES (%s, %s, %s, %s)"  # noqa: S608
        app_count = connector_count = 0
        batch: list[tuple] = []
        with connection.cursor() as cursor:
            for account, profile, _ in accounts:
                batch.extend(self._app_rows(account, profile))
                if len(batch) > 50_000:
                    cursor.executemany(app_sql, batch)
                    app_count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(app_sql, batch)
                app_count += len(batch)
            batch = []
            for account, profile, connectors in accounts:
                batch.extend(self._connector_rows(account, profile, connectors))
            if batch:
                cursor.executemany(connector_sql, batch)
                connector_count = len(batch)
        return app_count, connector_count

    # --- visits -------------------------------------------------------------------------
    def visits(self, accounts, users) -> None:
        rng = self.rng
        now = timezone.now()
        visit_objects, pending = [], []
        categories = ["integration", "feature", "training", "incident", "commercial", "other"]
        asks = {
            "integration": ("Connect the ERP purchase orders", "打通ERP采购订单"),
            "feature": ("Dealer ordering in the low-code app", "经销商低代码订货"),
            "training": ("Train 200 store managers", "培训200名店长"),
            "incident": ("Approval flow timed out during month-end", "月底审批流程超时"),
            "commercial": ("Quote for the dedicated deployment", "专属版报价"),
            "other": ("Single sign-on for the mail migration", "邮件迁移单点登录"),
        }
        named = {c.external_id for c in NAMED_CUSTOMERS}
        for account, _profile, _ in accounts:
            code = account.vertical.code
            is_named = account.external_id in named
            count = (
                rng.randint(2, 4) if is_named else (rng.randint(0, 2) if rng.random() < 0.5 else 0)
            )
            for _ in range(count):
                executive = is_named and rng.random() < 0.5
                author = users["coo"] if executive else account.owner_csm
                day = self.today - dt.timedelta(days=rng.randint(1, 110))
                visit = Visit(
                    account=account,
                    author=author,
                    visited_on=day,
                    visit_type=VisitType.EXECUTIVE
                    if executive
                    else rng.choice(
                        [
                            VisitType.CHECK_IN,
                            VisitType.BUSINESS_REVIEW,
                            VisitType.WORKSHOP,
                            VisitType.ONLINE,
                        ]
                    ),
                    purpose=rng.choice(
                        [
                            "Quarterly business review",
                            "Connector roll-out",
                            "Renewal",
                            "Executive alignment",
                            "Low-code workshop",
                        ]
                    ),
                    summary="",
                    sentiment=rng.choice(["positive", "neutral", "neutral", "negative"]),
                )
                visit_objects.append(visit)
                pending.append((visit, code, day))
        Visit.objects.bulk_create(visit_objects, batch_size=2000)
        requirements, items = [], []
        for visit, code, day in pending:
            raised = timezone.make_aware(dt.datetime.combine(day, dt.time(15, 0)))
            for _ in range(rng.randint(0, 2)):
                category = rng.choice(categories)
                title, local_title = asks[category]
                answered = rng.random() < 0.75
                first = raised + dt.timedelta(hours=rng.uniform(1, 60)) if answered else None
                if first and first > now:
                    first = None
                resolved = (
                    first + dt.timedelta(days=rng.randint(1, 20))
                    if first and rng.random() < 0.5
                    else None
                )
                if resolved and resolved > now:
                    resolved = None
                requirements.append(
                    Requirement(
                        account_id=visit.account_id,
                        visit=visit,
                        title=f"{title} / {local_title}",
                        category=category,
                        priority=rng.choice(["low", "medium", "medium", "high", "critical"]),
                        status=RequirementStatus.RESOLVED
                        if resolved
                        else (RequirementStatus.IN_PROGRESS if first else RequirementStatus.OPEN),
                        owner=users[f"{rng.choice(['sa', 'tech', 'csm'])}_{code}"],
                        raised_at=raised,
                        first_response_at=first,
                        resolved_at=resolved,
                    )
                )
            if rng.random() < 0.7:
                due = day + dt.timedelta(days=rng.randint(3, 21))
                done = rng.random() < 0.6 and due < self.today
                items.append(
                    ActionItem(
                        account_id=visit.account_id,
                        visit=visit,
                        title=rng.choice(
                            [
                                "Send the integration plan",
                                "Set up the connector sandbox",
                                "Share the adoption report",
                                "Book the executive workshop",
                                "Follow up on the quote",
                            ]
                        ),
                        owner=visit.author if visit.author.username != "coo" else None,
                        due_on=due,
                        done_at=timezone.make_aware(dt.datetime.combine(due, dt.time(10)))
                        if done
                        else None,
                    )
                )
        Requirement.objects.bulk_create(requirements, batch_size=2000)
        ActionItem.objects.bulk_create(items, batch_size=2000)

    def _reason_numbers(self, trigger: str, account: Account, opened: dt.date, connectors):
        """Numbers of the shape plays.conditions stores for `trigger` (plays.reasons renders them)."""
        rng = self.rng
        if trigger == "no_recent_visit":
            return {
                "days": 45,
                "last_visit": (opened - dt.timedelta(days=rng.randint(46, 80))).isoformat(),
            }
        if trigger == "connector_silent":
            code = next((c for c in connectors if c in ERP_CONNECTORS), connectors[0])
            return {
                "connectors": [{"code": code, "name": self.connector_names[code]}],
                "active_days": 7,
                "silent_days": 3,
            }
        if trigger == "renewal_at_risk":
            left = rng.randint(20, 85)
            return {
                "renewal_date": (opened + dt.timedelta(days=left)).isoformat(),
                "days_left": left,
                "color": "yellow",
                "score": rng.randint(52, 68),
            }
        if trigger == "requirement_overdue":
            return {
                "count": rng.randint(1, 3),
                "min_priority": "high",
                "sla_hours": 48,
                "oldest_raised": (opened - dt.timedelta(days=rng.randint(3, 9))).isoformat(),
            }
        return {
            "score": rng.randint(25, 44),
            "before": "yellow",
            "before_score": rng.randint(55, 69),
            "since": (opened - dt.timedelta(days=7)).isoformat(),
        }

    def worked_ctas(self, accounts, users) -> None:
        """CTAs opened 35–100 days ago and closed within two weeks: done (steps ticked), dismissed
        with a note, or resolved. Owners follow the plays' owner rule (csm, lead, sa)."""
        rng = self.rng
        plays = {p.trigger: p for p in Play.objects.all()}
        dismiss_notes = [
            "Renewal already signed with procurement; nothing to do.",
            "The customer paused the connector for their ERP migration, planned with us.",
            "Seasonal shutdown (Spring Festival); usage comes back next week.",
            "Visited by the regional partner last month; report in the CRM.",
        ]
        now = timezone.now()
        ctas = []
        for account, _profile, connectors in accounts:
            if rng.random() >= 0.12:
                continue
            code = account.vertical.code
            choices = ["no_recent_visit", "requirement_overdue", "renewal_at_risk", "turned_red"]
            if connectors:
                choices.append("connector_silent")
            for trigger in rng.sample(choices, rng.randint(1, 2)):
                play = plays[trigger]
                opened = self.today - dt.timedelta(days=rng.randint(35, 100))
                closed = opened + dt.timedelta(days=rng.randint(1, 14))
                status = rng.choices(
                    [CTAStatus.DONE, CTAStatus.DISMISSED, CTAStatus.RESOLVED], [55, 25, 20]
                )[0]
                owner = {
                    "csm": account.owner_csm_id,
                    "lead": users[f"lead_{code}"].pk,
                    "sa": users[f"sa_{code}"].pk,
                }[play.owner_role]
                steps = [{"text": t, "done": status == CTAStatus.DONE} for t in play.steps]
                ctas.append(
                    CTA(
                        account=account,
                        play=play,
                        status=status,
                        reason_numbers=self._reason_numbers(trigger, account, opened, connectors),
                        opened_on=opened,
                        due_on=opened + dt.timedelta(days=play.due_days),
                        owner_id=owner,
                        steps=steps,
                        note=rng.choice(dismiss_notes) if status == CTAStatus.DISMISSED else "",
                        last_evaluated_on=closed,
                        last_held_on=closed - dt.timedelta(days=play.clear_days)
                        if status == CTAStatus.RESOLVED
                        else closed,
                        clear_streak=play.clear_days if status == CTAStatus.RESOLVED else 0,
                        closed_on=closed,
                        closed_at=now - dt.timedelta(days=(self.today - closed).days),
                        closed_by_id=owner if status != CTAStatus.RESOLVED else None,
                    )
                )
        CTA.objects.bulk_create(ctas, batch_size=2000)

    def build(self) -> dict[str, int]:
        with transaction.atomic():
            self.progress("people")
            users = self.people()
            self.progress("accounts")
            accounts = self.accounts(users)
            self.progress("contacts and account teams")
            self.team_and_contacts(accounts, users)
            self.progress(f"{DEMO_DAYS} days of usage feeds")
            app_rows, connector_rows = self.feeds(accounts)
            self.progress("visits, requirements and action items")
            self.visits(accounts, users)
            self.progress("CTAs worked before the last month")
            self.worked_ctas(accounts, users)
            list_cache.changed()  # accounts were bulk-created (no signals)
        return {
            "accounts": len(accounts),
            "app_usage_rows": app_rows,
            "connector_usage_rows": connector_rows,
            "visits": Visit.objects.count(),
            "requirements": Requirement.objects.count(),
            "closed_ctas": CTA.objects.count(),
        }
