"""Who may manage webhooks in the admin: the COO (any) and leads (their verticals', scoped in code)."""

from django.db import migrations

# group: {model: actions}
GRANTS = {
    "COO": {
        "subscription": ("view", "add", "change", "delete"),
        "delivery": ("view", "change"),
        "deliveryattempt": ("view",),
        "event": ("view",),
    },
    "Lead": {
        "subscription": ("view", "add", "change", "delete"),
        "delivery": ("view", "change"),
        "deliveryattempt": ("view",),
        "event": ("view",),
    },
}


def _permissions(apps, model, actions):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(
        content_type__app_label="events", codename__in=[f"{a}_{model}" for a in actions]
    )


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; the groups need them now.
    app_config = apps.get_app_config("events")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    for name, models in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for model, actions in models.items():
            group.permissions.add(*_permissions(apps, model, actions))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, models in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for model, actions in models.items():
            group.permissions.remove(*_permissions(apps, model, actions))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0002_minutely_sweep"),
        ("verticals", "0002_default_verticals_and_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
