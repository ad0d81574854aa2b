"""On PostgreSQL the database itself refuses UPDATE, DELETE and TRUNCATE on the armory trail, as on the
reports' trail (not only the ORM); and the "Production admins" group gets the armory's permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION incidents_armoryevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'incidents_armoryevent is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incidents_armoryevent_append_only
    BEFORE UPDATE OR DELETE ON incidents_armoryevent
    FOR EACH ROW EXECUTE FUNCTION incidents_armoryevent_append_only();
CREATE TRIGGER incidents_armoryevent_no_truncate
    BEFORE TRUNCATE ON incidents_armoryevent
    FOR EACH STATEMENT EXECUTE FUNCTION incidents_armoryevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS incidents_armoryevent_no_truncate ON incidents_armoryevent;
DROP TRIGGER IF EXISTS incidents_armoryevent_append_only ON incidents_armoryevent;
DROP FUNCTION IF EXISTS incidents_armoryevent_append_only();
"""
GROUP = "Production admins"
PERMISSIONS = [
    *(f"{verb}_weapon" for verb in ("view", "add", "change")),
    *(f"{verb}_ammolot" for verb in ("view", "add", "change")),
    "view_armoryevent",
    "view_armorygap",
]


def triggers_forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def triggers_backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


def permissions_forwards(apps, schema_editor):
    app_config = apps.get_app_config("incidents")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    found = list(Permission.objects.filter(content_type__app_label="incidents", codename__in=PERMISSIONS))
    missing = set(PERMISSIONS) - {p.codename for p in found}
    if missing:
        raise RuntimeError(f"permissions missing: {sorted(missing)}")
    group.permissions.add(*found)


def permissions_backwards(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="incidents", codename__in=PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0007_armory_inventory")]
    operations = [
        migrations.RunPython(triggers_forwards, triggers_backwards),
        migrations.RunPython(permissions_forwards, permissions_backwards),
    ]
