"""Triggers that bump accounts_production.config_version when what reaches one of its people changes: their
channel choice, phone number or push subscription (a member's email is already watched by 0014); and every
production's when an admin edits the warning words. The per-process contact and scanner caches
(selectors.contacts.ContactBook.of_production, services.firearm_flags.scanner_for) key on the version."""

from django.db import migrations

from incidents.config_triggers import statements_0025


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        return  # created after every migrate instead (incidents.config_triggers)
    for statement in statements_0025(schema_editor.connection.vendor)[0]:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    for statement in statements_0025(schema_editor.connection.vendor)[1]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0024_report_concerns"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
