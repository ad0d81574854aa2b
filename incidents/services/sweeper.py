"""The safety net: every few seconds, escalate whatever is due (whether or not its ETA task still
exists) and re-queue lost deliveries. Safe to run in several processes at once."""

import time
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from incidents.models import Heartbeat

from .delivery import notifications_recover
from .escalation import reports_escalate_due

SWEEPER = "sweeper"


@dataclass(frozen=True)
class SweepResult:
    escalated: int
    requeued: int
    batches: int


def sweep(*, now: datetime | None = None, batch_size: int = 200, time_budget: float = 20.0) -> SweepResult:
    started = time.monotonic()
    escalated = batches = 0
    while True:
        count = reports_escalate_due(now=now or timezone.now(), limit=batch_size)
        escalated += count
        batches += 1
        if count < batch_size or time.monotonic() - started > time_budget:
            break
    requeued = notifications_recover(now=now)
    heartbeat_record(SWEEPER, {"escalated": escalated, "requeued": requeued, "batches": batches})
    return SweepResult(escalated, requeued, batches)


def heartbeat_record(name: str, detail: dict[str, object]) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now(), "detail": detail})


def heartbeat_at(name: str) -> datetime | None:
    return Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()
