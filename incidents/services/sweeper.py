"""The safety net: every few seconds, escalate whatever is due (whether or not its ETA task still
exists: reports, then overdue corrective actions), re-queue lost deliveries, and queue the ETA tasks
of report deadlines that came within the timer horizon. Safe to run in several processes at once."""

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from incidents.models import Heartbeat, Report

from . import dispatch
from .action_escalation import actions_escalate_due
from .armory.days import days_sweep
from .armory.time_requests import time_requests_escalate_due
from .delivery import notifications_recover
from .escalation import ESCALATABLE, reports_escalate_due

logger = logging.getLogger(__name__)

SWEEPER = "sweeper"
# How far ahead ETA tasks are queued, and who is queueing them. Kept in the cache, which is the
# broker's Redis: when Redis is flushed or restarted the queued timers and this mark go together,
# and the next sweep queues every deadline within the horizon again.
TIMERS_ARMED_UNTIL = "safetrack:escalation-timers:armed-until"
TIMERS_LOCK = "safetrack:escalation-timers:lock"


@dataclass(frozen=True)
class SweepResult:
    escalated: int
    requeued: int
    batches: int
    armed: int = 0
    armory: int = 0


def sweep(*, now: datetime | None = None, batch_size: int | None = None, time_budget: float = 20.0) -> SweepResult:
    batch_size = batch_size or settings.SWEEP_BATCH_SIZE
    started = time.monotonic()
    escalated = batches = 0
    while True:
        count = reports_escalate_due(now=now, limit=batch_size)
        escalated += count
        batches += 1
        if count < batch_size or time.monotonic() - started > time_budget:
            break
    escalated += actions_escalate_due(now=now, limit=batch_size)
    requeued = notifications_recover(now=now)
    try:
        armed = timers_arm(now=now)
    except Exception:  # the timers only make escalation punctual; the sweeps above already made it safe
        logger.warning("could not queue the escalation timers; due reports are still swept", exc_info=True)
        armed = 0
    armory = armory_sweep(now=now)
    heartbeat_record(
        SWEEPER,
        {"escalated": escalated, "requeued": requeued, "batches": batches, "armed": armed, "armory": armory},
    )
    return SweepResult(escalated, requeued, batches, armed, armory)


def armory_sweep(*, now: datetime | None = None) -> int:
    """The armory's looks at the clock: a firearms day at its first scene with no safety meeting, a
    weapon still out at wrap, a time request unanswered in time. Each files a report (then escalated
    like any report by the sweeps above); how many were filed. A failure here is logged and never
    holds up the escalation of reports."""
    try:
        return days_sweep(now=now) + time_requests_escalate_due(now=now)
    except Exception:
        logger.exception("the armory's sweep failed; it runs again at the next sweep")
        return 0


def timers_arm(*, now: datetime | None = None, limit: int = 10_000) -> int:
    """Queue the ETA tasks of the deadlines that came within the horizon since the last call.

    Deadlines already within the horizon when they were set were queued then (a second copy of a few
    of them is harmless: escalation is compare-and-set)."""
    now = now or timezone.now()
    if not cache.add(TIMERS_LOCK, "1", timeout=60):
        return 0  # another sweeper is queueing them right now
    try:
        armed_until = cache.get(TIMERS_ARMED_UNTIL)
        start = max(armed_until, now) if armed_until else now
        until = now + dispatch.timer_horizon()
        timers = list(
            Report.objects.filter(status__in=ESCALATABLE, next_escalation_at__gt=start, next_escalation_at__lte=until)
            .order_by("next_escalation_at")
            .values_list("pk", "escalation_level", "next_escalation_at")[:limit]
        )
        if len(timers) == limit:
            until = timers[-1][2]  # the rest next time
        dispatch.escalation_timers_send(timers)
        cache.set(TIMERS_ARMED_UNTIL, until, timeout=None)
    finally:
        cache.delete(TIMERS_LOCK)
    return len(timers)


def heartbeat_record(name: str, detail: dict[str, object]) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now(), "detail": detail})


def heartbeat_at(name: str) -> datetime | None:
    return Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()
