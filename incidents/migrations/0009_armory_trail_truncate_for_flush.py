"""Drop the armory trail's TRUNCATE trigger from 0008: Django's flush (transactional tests, `manage.py
flush`) empties every table with one TRUNCATE, which the trigger refused, so no transactional test could
tear down. UPDATE and DELETE stay refused row by row; refusing TRUNCATE outside a flush is left to the
report trail's hardening (issue 15), which the armory trail will follow."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS incidents_armoryevent_no_truncate ON incidents_armoryevent;")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE TRIGGER incidents_armoryevent_no_truncate BEFORE TRUNCATE ON incidents_armoryevent "
            "FOR EACH STATEMENT EXECUTE FUNCTION incidents_armoryevent_append_only();"
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0008_armory_trail_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
