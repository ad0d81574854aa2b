"""On PostgreSQL, the database itself refuses UPDATE and DELETE on the trail (not only the ORM)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION incidents_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'incidents_event is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incidents_event_append_only
    BEFORE UPDATE OR DELETE ON incidents_event
    FOR EACH ROW EXECUTE FUNCTION incidents_event_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS incidents_event_append_only ON incidents_event;
DROP FUNCTION IF EXISTS incidents_event_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
