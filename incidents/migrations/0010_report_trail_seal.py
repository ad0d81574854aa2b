"""The seal of each report's trail head (HMAC with TRAIL_SEAL_KEY), existing heads sealed as they are
now; and on PostgreSQL a statement-level trigger that refuses TRUNCATE on the report trail and the
armory trail (row triggers never see a TRUNCATE; 0009 dropped the armory's own, which also refused the
test suite's flush: this one lets a session that sets safetrack.trail_truncate_allowed through)."""

import hashlib
import hmac

from django.conf import settings
from django.db import migrations, models

NO_TRUNCATE = """
CREATE OR REPLACE FUNCTION incidents_event_no_truncate() RETURNS trigger AS $$
BEGIN
    -- Only the test suite's teardown sets this (its flush empties every table with TRUNCATE). Whoever
    -- can set it could also disable the trigger: the seals are what catch that.
    IF current_setting('safetrack.trail_truncate_allowed', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: TRUNCATE refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER incidents_event_no_truncate
    BEFORE TRUNCATE ON incidents_event
    FOR EACH STATEMENT EXECUTE FUNCTION incidents_event_no_truncate();
CREATE TRIGGER incidents_armoryevent_no_truncate
    BEFORE TRUNCATE ON incidents_armoryevent
    FOR EACH STATEMENT EXECUTE FUNCTION incidents_event_no_truncate();
"""
DROP_NO_TRUNCATE = """
DROP TRIGGER IF EXISTS incidents_armoryevent_no_truncate ON incidents_armoryevent;
DROP TRIGGER IF EXISTS incidents_event_no_truncate ON incidents_event;
DROP FUNCTION IF EXISTS incidents_event_no_truncate();
"""


def seal_existing_heads(apps, schema_editor):
    Report = apps.get_model("incidents", "Report")
    key = settings.TRAIL_SEAL_KEY.encode()
    for pk, seq, head in Report.objects.values_list("pk", "trail_seq", "trail_head").iterator(chunk_size=2000):
        seal = hmac.new(key, f"report:{pk}:{seq}:{head}".encode(), hashlib.sha256).hexdigest()
        Report.objects.filter(pk=pk).update(trail_seal=seal)


def no_truncate(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NO_TRUNCATE)


def allow_truncate(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_NO_TRUNCATE)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0009_armory_trail_truncate_for_flush"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="trail_seal",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
        migrations.RunPython(seal_existing_heads, migrations.RunPython.noop),
        migrations.RunPython(no_truncate, allow_truncate),
    ]
