"""Escalation policies: the default ladder of a film set, and the deadlines it gives a report."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from accounts.models import Production, Role
from incidents.models import EscalationLevel, EscalationPolicy, Report, ReportStatus

# (roles, critical, high, medium, low) for each default level, lowest first.
DEFAULT_LEVELS: list[tuple[list[str], timedelta, timedelta, timedelta, timedelta]] = [
    (
        [Role.DEPARTMENT_HEAD, Role.ARMORER],
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=2),
        timedelta(hours=24),
    ),
    ([Role.SAFETY], timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=2), timedelta(hours=24)),
    ([Role.UPM], timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=2), timedelta(hours=24)),
    ([Role.PRODUCER], timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=2), timedelta(hours=24)),
    ([Role.EXECUTIVE], timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=2), timedelta(hours=24)),
]


@transaction.atomic
def policy_create_default(*, production: Production) -> EscalationPolicy:
    """Give a production the default film-set ladder (idempotent: an existing policy is kept)."""
    policy, created = EscalationPolicy.objects.get_or_create(production=production)
    if created or not policy.levels.exists():
        EscalationLevel.objects.bulk_create(
            EscalationLevel(
                policy=policy,
                number=number,
                roles=[str(r) for r in roles],
                critical_timeout=critical,
                high_timeout=high,
                medium_timeout=medium,
                low_timeout=low,
            )
            for number, (roles, critical, high, medium, low) in enumerate(DEFAULT_LEVELS, start=1)
        )
    return policy


def policy_set_speed(*, policy: EscalationPolicy, per_level: timedelta, resolve: timedelta) -> None:
    """Make every timeout of a policy the same short duration (the demo's `--fast`, tests)."""
    policy.levels.update(
        critical_timeout=per_level, high_timeout=per_level, medium_timeout=per_level, low_timeout=per_level
    )
    for severity in ("critical", "high", "medium", "low"):
        setattr(policy, f"resolve_{severity}", resolve)
    policy.save()


@dataclass(frozen=True)
class Ladder:
    """A production's policy with its levels loaded once: what escalation reads on every step."""

    policy: EscalationPolicy
    levels: tuple[EscalationLevel, ...]

    @property
    def top(self) -> int:
        return self.levels[-1].number if self.levels else 1

    def level(self, number: int) -> EscalationLevel:
        """The level a report at `number` is at; past the top, the top level repeats."""
        best = self.levels[0]
        for level in self.levels:
            if level.number <= number:
                best = level
        return best

    def next_number(self, number: int) -> int:
        for level in self.levels:
            if level.number > number:
                return level.number
        return number + 1  # past the top: a repeat of the top level

    def deadline(self, *, status: str, severity: str, level_number: int, now: datetime) -> datetime | None:
        if status == ReportStatus.OPEN:
            return now + self.level(level_number).timeout(severity)
        if status == ReportStatus.ACKNOWLEDGED:
            return now + self.policy.resolve_within(severity)
        return None


def ladder_for(production: Production | int) -> Ladder:
    production_id = production if isinstance(production, int) else production.pk
    policy = EscalationPolicy.objects.filter(production_id=production_id).first()
    if policy is None:
        policy = policy_create_default(production=Production.objects.get(pk=production_id))
    levels = tuple(policy.levels.prefetch_related("people").order_by("number"))
    if not levels:
        policy = policy_create_default(production=policy.production)
        levels = tuple(policy.levels.prefetch_related("people").order_by("number"))
    return Ladder(policy=policy, levels=levels)


def ladders_for(production_ids: set[int]) -> dict[int, Ladder]:
    """Ladders of several productions in a constant number of queries (the sweeper's batches)."""
    policies = {
        p.production_id: p
        for p in EscalationPolicy.objects.filter(production_id__in=production_ids).prefetch_related("levels__people")
    }
    ladders = {}
    for production_id in production_ids:
        policy = policies.get(production_id)
        if policy is None or not policy.levels.all():
            ladders[production_id] = ladder_for(production_id)
        else:
            ladders[production_id] = Ladder(policy, tuple(sorted(policy.levels.all(), key=lambda lv: lv.number)))
    return ladders


def level_label(ladder: Ladder, number: int) -> str:
    level = ladder.level(number)
    return level.roles_display()


def report_deadline(report: Report, ladder: Ladder, now: datetime) -> datetime | None:
    return ladder.deadline(
        status=report.status, severity=report.severity, level_number=report.escalation_level, now=now
    )
