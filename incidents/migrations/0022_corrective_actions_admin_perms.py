"""The "Production admins" group reads corrective actions in the admin (they change on their pages only)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Production admins"
PERMISSIONS = ["view_correctiveaction"]


def forwards(apps, schema_editor):
    app_config = apps.get_app_config("incidents")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
    found = list(Permission.objects.filter(content_type__app_label="incidents", codename__in=PERMISSIONS))
    if len(found) != len(PERMISSIONS):
        raise RuntimeError(f"permissions missing: {PERMISSIONS}")
    group.permissions.add(*found)


def backwards(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="incidents", codename__in=PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [("incidents", "0021_sms")]
    operations = [migrations.RunPython(forwards, backwards)]
