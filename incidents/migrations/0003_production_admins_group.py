"""The "Production admins" group: the model permissions a staff user needs to run the productions they
are linked to (Production.admins). Which rows they see is decided by the admin's scoping, not here.

Superusers add a staff user to this group and to a production's "admin staff"; nothing else is needed.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Production admins"
PERMISSIONS = {
    "accounts": ["view_user", "view_production", "change_production"]
    + [f"{verb}_membership" for verb in ("view", "add", "change", "delete")],
    "incidents": [
        "view_escalationpolicy",
        "change_escalationpolicy",
        *(f"{verb}_escalationlevel" for verb in ("view", "add", "change", "delete")),
        "view_report",
        "change_report",  # the report actions (escalate now, resend); the form itself stays read-only
        "view_event",
        "view_notification",
        "change_notification",  # the retry action
        "view_attachment",
        "view_digestrun",
    ],
    "admin": ["view_logentry"],
}


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codenames in PERMISSIONS.items():
        found = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
        missing = set(codenames) - {p.codename for p in found}
        if missing:
            raise RuntimeError(f"permissions missing for {app_label}: {sorted(missing)}")
        group.permissions.add(*found)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_event_append_only_trigger"),
        ("accounts", "0001_initial"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
