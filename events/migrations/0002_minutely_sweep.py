"""The beat schedule (django-celery-beat, editable in the admin): deliver due webhooks every minute."""

from django.db import migrations

EVERY_MINUTE = "events: deliver due webhooks every minute"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=EVERY_MINUTE,
        defaults={
            "task": "events.deliver_due",
            "interval": every_minute,
            "crontab": None,
            "enabled": True,
            "description": "Fans out new events and sends every delivery due now, retries included.",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=EVERY_MINUTE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_outbox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
