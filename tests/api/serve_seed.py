"""Fill a freshly migrated database for the schemathesis run and print a write token's key.

Run as `python -m tests.api.serve_seed` with DATABASE_URL pointing at the
database the server will use; prints only the key on stdout.
"""

from __future__ import annotations

import datetime as dt
import os

from core.days import business_today


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from accounts.models import Account
    from metrics.models import AccountDailyStatus, MetricPolicy
    from verticals.api.tokens import issue_api_token
    from verticals.models import Membership, Role, Vertical
    from visits.models import Visit

    users = get_user_model().objects
    coo = users.create_user("coo", is_staff=True)
    Membership.objects.create(user=coo, role=Role.COO)
    coo.is_superuser = True  # may add visits and feed rows through every endpoint
    coo.save()
    policy = MetricPolicy.objects.latest()
    yesterday = business_today() - dt.timedelta(days=1)
    for n, vertical in enumerate(Vertical.objects.all()):
        for k in range(2):
            account = Account.objects.create(
                external_id=f"ent-{n}{k}",
                name=f"Enterprise {n}{k}",
                vertical=vertical,
                headcount=3_000 * (n + 1) * (k + 1),
                owner_csm=coo,
            )
            for back in range(3):
                AccountDailyStatus.objects.create(
                    account=account,
                    day=yesterday - dt.timedelta(days=back),
                    policy=policy,
                    is_dag=bool(k),
                    dag_rate=0.2 * k,
                    deep_integration_level=n % 4,
                    score=40 + 10 * k,
                    color="yellow",
                )
            Visit.objects.create(account=account, author=coo, visited_on=yesterday)
    _token, key = issue_api_token(user=coo, can_write=True, name="schemathesis")
    print(key)


if __name__ == "__main__":
    main()
