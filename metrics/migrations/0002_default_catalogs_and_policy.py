"""The default App and Connector catalogs and the first metric policy (docs/metrics.md)."""

from django.db import migrations

APPS = [
    ("chat", "Chat", "communication"),
    ("meetings", "Meetings", "communication"),
    ("mail", "Mail", "communication"),
    ("docs", "Docs", "collaboration"),
    ("projects", "Projects", "collaboration"),
    ("approval", "Approval", "workflow"),
    ("attendance", "Attendance", "workflow"),
    ("hr", "HR", "workflow"),
    ("lowcode", "Low-code", "lowcode"),
    ("reports", "Reports", "analytics"),
    ("bi", "BI", "analytics"),
]

CONNECTORS = [
    ("yonyou_u8", "Yonyou U8", "erp", "Yonyou"),
    ("yonyou_nc", "Yonyou NC", "erp", "Yonyou"),
    ("kingdee_k3", "Kingdee K/3", "erp", "Kingdee"),
    ("kingdee_cloud", "Kingdee Cloud", "erp", "Kingdee"),
    ("sap_s4", "SAP S/4HANA", "erp", "SAP"),
    ("salesforce", "Salesforce", "crm", "Salesforce"),
    ("mes_generic", "Generic MES", "mes", ""),
    ("ibm_notes", "IBM Notes", "mail", "IBM"),
]


def create_defaults(apps, schema_editor):
    App = apps.get_model("metrics", "App")
    Connector = apps.get_model("metrics", "Connector")
    MetricPolicy = apps.get_model("metrics", "MetricPolicy")
    for code, name, category in APPS:
        App.objects.get_or_create(code=code, defaults={"name": name, "category": category})
    for code, name, kind, vendor in CONNECTORS:
        Connector.objects.get_or_create(
            code=code, defaults={"name": name, "system_kind": kind, "vendor": vendor}
        )
    if not MetricPolicy.objects.exists():
        MetricPolicy.objects.create(note="DESIGN.md defaults")


def remove_defaults(apps, schema_editor):
    apps.get_model("metrics", "App").objects.filter(code__in=[a[0] for a in APPS]).delete()
    apps.get_model("metrics", "Connector").objects.filter(code__in=[c[0] for c in CONNECTORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("metrics", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
