"""One play per trigger with DESIGN.md's defaults (parameters, owner role); the COO edits them."""

from django.db import migrations

# trigger: (name, owner role, parameters, due days, steps)
PLAYS = {
    "level_dropped": (
        "Deep-integration level dropped",
        "csm",
        {"lookback_days": 7},
        7,
        [
            "Find out which criterion was lost (connectors, records, DAG rate, analytics)",
            "Call the customer's IT owner",
            "Agree a plan to restore the level",
        ],
    ),
    "turned_red": (
        "Health turned red",
        "csm",
        {"lookback_days": 7},
        5,
        ["Review the health components", "Call the champion", "Log a visit or a call"],
    ),
    "dag_rate_fell": (
        "DAG rate fell",
        "csm",
        {"lookback_days": 28, "min_drop": 0.2},
        14,
        ["See which apps lost their users", "Offer a training session"],
    ),
    "connector_silent": (
        "Connector fell silent",
        "sa",
        {"active_days": 7, "silent_days": 3},
        3,
        [
            "Check the connector's logs and credentials",
            "Contact the customer's system owner",
            "Confirm records flow again",
        ],
    ),
    "near_deep": (
        "One criterion short of deep integration",
        "csm",
        {"margin": 0.25},
        30,
        ["Show the customer the missing criterion", "Plan the step that closes it"],
    ),
    "renewal_at_risk": (
        "Renewal at risk",
        "lead",
        {"days": 90},
        14,
        ["Review the account with the CSM", "Schedule an executive visit"],
    ),
    "requirement_overdue": (
        "Requirement overdue",
        "lead",
        {"min_priority": "high"},
        2,
        ["Assign an owner to the requirement", "Send the customer a first response"],
    ),
    "no_recent_visit": (
        "No recent visit",
        "csm",
        {"min_tier": "10k", "days": 45},
        14,
        ["Plan a visit", "Log the visit"],
    ),
}


def create_plays(apps, schema_editor):
    Play = apps.get_model("plays", "Play")
    for trigger, (name, role, parameters, due_days, steps) in PLAYS.items():
        Play.objects.get_or_create(
            trigger=trigger,
            defaults={
                "name": name,
                "owner_role": role,
                "parameters": parameters,
                "due_days": due_days,
                "steps": steps,
            },
        )


def remove_plays(apps, schema_editor):
    Play = apps.get_model("plays", "Play")
    CTA = apps.get_model("plays", "CTA")
    CTA.objects.filter(play__trigger__in=list(PLAYS)).delete()
    Play.objects.filter(trigger__in=list(PLAYS)).delete()


class Migration(migrations.Migration):
    dependencies = [("plays", "0001_initial")]

    operations = [migrations.RunPython(create_plays, remove_plays)]
