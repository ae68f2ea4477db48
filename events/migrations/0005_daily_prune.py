"""The beat schedule gains `events.prune`, daily at 04:10 Asia/Shanghai (docs/events.md "Retention")."""

from django.db import migrations

NAME = "events: prune delivered events daily"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="10",
        hour="4",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "events.prune",
            "crontab": crontab,
            "interval": None,
            "enabled": True,
            "description": "Delete the events whose deliveries are all done for "
            "EVENTS_RETENTION_DAYS, with their deliveries and attempts.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0004_event_dedup_key"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
