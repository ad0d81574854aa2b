"""The "Production admins" group adds and changes shooting days in the admin (through the days service,
so each change is on the armory trail)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Production admins"
PERMISSIONS = ["add_shootingday", "change_shootingday"]


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
    dependencies = [("incidents", "0022_corrective_actions_admin_perms")]
    operations = [migrations.RunPython(forwards, backwards)]
