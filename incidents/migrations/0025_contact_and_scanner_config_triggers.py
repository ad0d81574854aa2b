"""Triggers that bump accounts_production.config_version when what reaches one of its people changes: their
channel choice, phone number or push subscription (a member's email is already watched by 0014); and every
production's when an admin edits the warning words. The per-process contact and scanner caches
(selectors.contacts.ContactBook.of_production, services.firearm_flags.scanner_for) key on the version."""

from django.db import migrations

from incidents.config_triggers import run_sql, statements_0025


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0024_report_concerns"),
    ]
    operations = [run_sql(statements_0025)]
