"""The five default verticals (editable later in the admin) and one permission group per role."""

from django.db import migrations

VERTICALS = [
    ("manufacturing", "Manufacturing", "制造", 1),
    ("consumer_retail", "Consumer & Retail", "消费零售", 2),
    ("energy_resources", "Energy & Resources", "能源资源", 3),
    ("agri_food", "Agriculture & Food", "农业食品", 4),
    ("conglomerate_services", "Conglomerates & Services", "综合集团与服务", 5),
]


def create_verticals(apps, schema_editor):
    Vertical = apps.get_model("verticals", "Vertical")
    for code, name, local_name, position in VERTICALS:
        Vertical.objects.get_or_create(
            code=code, defaults={"name": name, "local_name": local_name, "position": position}
        )


def remove_verticals(apps, schema_editor):
    apps.get_model("verticals", "Vertical").objects.filter(code__in=[v[0] for v in VERTICALS]).delete()


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from verticals.roles import GROUP_PERMISSIONS

    # Permissions are normally made after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, grants in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = []
        for label, actions in grants.items():
            app_label, model = label.split(".")
            for action in actions:
                wanted.extend(
                    Permission.objects.filter(
                        content_type__app_label=app_label, codename=f"{action}_{model}"
                    )
                )
        group.permissions.set(wanted)


def remove_groups(apps, schema_editor):
    from verticals.roles import GROUP_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(name__in=list(GROUP_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("verticals", "0001_initial"),
        ("accounts", "0001_initial"),
        ("visits", "0001_initial"),
        ("metrics", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_verticals, remove_verticals),
        migrations.RunPython(create_groups, remove_groups),
    ]
