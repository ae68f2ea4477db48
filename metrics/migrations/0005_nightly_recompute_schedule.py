"""The beat schedule (django-celery-beat, editable in the admin): nightly recompute and the pending sweep.

- `metrics.recompute_yesterday` at 02:00 Asia/Shanghai every day;
- `metrics.sweep_pending_recomputes` every 5 minutes, which finds recomputes
  whose task message was lost (Redis keeps nothing on disk).
"""

from django.db import migrations

NIGHTLY = "metrics: nightly recompute of yesterday"
SWEEP = "metrics: sweep pending recomputes"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="2",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.update_or_create(
        name=NIGHTLY,
        defaults={
            "task": "metrics.recompute_yesterday",
            "crontab": crontab,
            "interval": None,
            "enabled": True,
            "description": "Yesterday's daily status for every account (DESIGN.md).",
        },
    )
    every_five, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=SWEEP,
        defaults={
            "task": "metrics.sweep_pending_recomputes",
            "interval": every_five,
            "crontab": None,
            "enabled": True,
            "description": "Send any pending recompute whose task was lost.",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[NIGHTLY, SWEEP]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0004_pending_recompute"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
