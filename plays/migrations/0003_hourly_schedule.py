"""The beat schedule (django-celery-beat, editable in the admin): the time-based plays every hour."""

from django.db import migrations

HOURLY = "plays: time-based plays every hour"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.update_or_create(
        name=HOURLY,
        defaults={
            "task": "plays.evaluate_time_based",
            "interval": every_hour,
            "crontab": None,
            "enabled": True,
            "description": "requirement_overdue, renewal_at_risk and no_recent_visit (DESIGN.md).",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=HOURLY).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("plays", "0002_default_plays"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
