"""On PostgreSQL, the warning words' trigger bumps every production's config_version once per statement, not
once per row: an import of thousands of words was thousands of updates of every production."""

from django.db import migrations

from incidents.config_triggers import run_sql, statements_0026


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0025_contact_and_scanner_config_triggers"),
    ]
    operations = [run_sql(statements_0026)]
