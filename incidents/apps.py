from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Safety reports")

    def ready(self) -> None:
        # The armory's per-production chains are checked by `manage.py verify_trail` with the reports'.
        from incidents import trail
        from incidents.armory_chain import armory_trail_checks

        trail.chain_register("armory", armory_trail_checks)

        # SQLite (the local default) keeps its config-version triggers across migrations that remake tables.
        from django.db.models.signals import post_migrate, pre_migrate

        from incidents import config_triggers

        pre_migrate.connect(config_triggers.sqlite_drop, sender=self, dispatch_uid="sqlite-triggers-drop")
        post_migrate.connect(config_triggers.sqlite_create, sender=self, dispatch_uid="sqlite-triggers-create")
