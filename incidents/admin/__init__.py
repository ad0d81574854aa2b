"""The admin: productions, people and members, reports and their trail, the outbox, policies and run
records. See admin_scope for scoping."""

from . import armory, armory_days, investigations, ops, policy, productions, records, reports, scanner

__all__ = [
    "armory",
    "armory_days",
    "investigations",
    "ops",
    "policy",
    "productions",
    "records",
    "reports",
    "scanner",
]
