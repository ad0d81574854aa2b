"""Triggers that bump accounts_production.config_version when what the ladder and handler caches hold
changes: memberships, the escalation policy, its levels, the people named on levels, and a member's or
named person's email, active or superuser flag. In the database, so every write path counts: the admin,
services, bulk operations and raw UPDATEs alike (incidents.ladder.ladder_cached and
services.recipients.crew_cached key on the version)."""

from django.db import migrations

from incidents.config_triggers import statements


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        return  # created after every migrate instead (incidents.config_triggers)
    for statement in statements(schema_editor.connection.vendor)[0]:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    for statement in statements(schema_editor.connection.vendor)[1]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_production_config_version"),
        ("incidents", "0013_armory_custody_admin_perms"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
