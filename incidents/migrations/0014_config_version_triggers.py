"""Triggers that bump accounts_production.config_version when what the ladder and handler caches hold
changes: memberships, the escalation policy, its levels, the people named on levels, and a member's or
named person's email, active or superuser flag. In the database, so every write path counts: the admin,
services, bulk operations and raw UPDATEs alike (incidents.ladder.ladder_cached and
services.recipients.crew_cached key on the version)."""

from django.db import migrations

from incidents.config_triggers import run_sql, statements


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_production_config_version"),
        ("incidents", "0013_armory_custody_admin_perms"),
    ]
    operations = [run_sql(statements)]
