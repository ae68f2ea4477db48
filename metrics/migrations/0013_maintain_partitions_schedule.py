"""The beat schedule gains `metrics.maintain_partitions`, daily at 03:30 Asia/Shanghai (after the nightly recompute)."""

from django.db import migrations

NAME = "metrics: maintain monthly partitions"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="3",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "metrics.maintain_partitions",
            "crontab": crontab,
            "interval": None,
            "enabled": True,
            "description": "Create the coming months' partitions; drop raw-feed partitions "
            "older than FEED_RETENTION_DAYS (PostgreSQL).",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0012_monthly_partitions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
