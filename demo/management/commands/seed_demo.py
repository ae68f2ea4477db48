"""`seed_demo`: load the deterministic demo data set (reused when already present)."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from demo.seed import (
    DEMO_DAYS,
    DEMO_PASSWORD,
    GENERATED_ACCOUNTS,
    DemoBuilder,
    demo_present,
    reset_demo,
)


class Command(BaseCommand):
    help = "Load a realistic demo: staffed verticals, the large customers, ~2,000 accounts, 110 days of feeds."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="delete the demo data and build it again"
        )
        parser.add_argument(
            "--accounts", type=int, default=GENERATED_ACCOUNTS, help="generated accounts"
        )
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, **options):
        if demo_present():
            if not options["reset"]:
                self.stdout.write(
                    "Demo data already present; reusing it (seed_demo --reset rebuilds it)."
                )
                return
            reset_demo()
        steps = [
            "people",
            "accounts",
            "contacts and account teams",
            f"{DEMO_DAYS} days of usage feeds",
            "visits, requirements and action items",
            "CTAs worked before the last month",
        ]
        bar = tqdm(
            total=len(steps), desc="seed_demo", unit="step", disable=options["verbosity"] == 0
        )

        def progress(step):
            if bar.n or step != steps[0]:
                bar.update(1)
            bar.set_postfix_str(step)

        counts = DemoBuilder(
            seed=options["seed"], accounts=options["accounts"], progress=progress
        ).build()
        bar.update(bar.total - bar.n)
        bar.close()
        self.stdout.write(
            ", ".join(f"{name} {value:,}" for name, value in counts.items())
            + f". Logins: coo, admin, csm_manufacturing, lead_manufacturing … (password {DEMO_PASSWORD})"
        )
