"""PostgreSQL: leave half of each CTA page free, so the daily refresh of an open CTA is a HOT update.

The evaluation rewrites every open CTA whose condition holds on a new day (the
day it last held, its reason); none of those columns is indexed, so with room
on its page the new row version stays there and no index is touched.
"""

from django.db import migrations

FILLFACTOR = 50


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE plays_cta SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE plays_cta RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("plays", "0005_cta_bulk_writes")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False)]
