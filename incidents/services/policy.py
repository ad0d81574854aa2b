"""Escalation policies, written: the default ladder of a film set, and the demo's speed-up.

Reading a ladder (levels, deadlines) lives in `incidents.ladder`."""

from datetime import timedelta

from accounts.models import Production
from incidents.models import EscalationPolicy


def policy_create_default(*, production: Production) -> EscalationPolicy:
    """Give a production the default film-set ladder (idempotent: an existing policy is kept)."""
    return EscalationPolicy.objects.create_default(production=production)


def policy_set_speed(*, policy: EscalationPolicy, per_level: timedelta, resolve: timedelta) -> None:
    """Make every timeout of a policy the same short duration (the demo's `--fast`, tests)."""
    policy.levels.update(
        critical_timeout=per_level, high_timeout=per_level, medium_timeout=per_level, low_timeout=per_level
    )
    for severity in ("critical", "high", "medium", "low"):
        setattr(policy, f"resolve_{severity}", resolve)
    policy.save()
