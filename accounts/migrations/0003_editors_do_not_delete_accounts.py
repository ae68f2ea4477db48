"""CSMs and leads no longer delete accounts (verticals.roles.EDITOR); databases made before keep
the grant from verticals' 0002 until this takes it away."""

from django.db import migrations

EDITOR_GROUPS = ("CSM", "Lead")


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    delete_account = Permission.objects.filter(
        content_type__app_label="accounts", codename="delete_account"
    )
    for group in Group.objects.filter(name__in=EDITOR_GROUPS):
        group.permissions.remove(*delete_account)


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    delete_account = Permission.objects.filter(
        content_type__app_label="accounts", codename="delete_account"
    )
    for group in Group.objects.filter(name__in=EDITOR_GROUPS):
        group.permissions.add(*delete_account)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("verticals", "0002_default_verticals_and_groups"),
    ]

    operations = [migrations.RunPython(revoke, grant)]
