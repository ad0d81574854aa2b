"""The admin: reports and their trail, the outbox, policies and run records. See admin_scope for scoping."""

from . import ops, policy, records, reports

__all__ = ["ops", "policy", "records", "reports"]
