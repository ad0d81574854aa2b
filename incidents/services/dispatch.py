"""Hand work to Celery after the transaction commits. The database stays the source of truth: if the
broker is down, the sweeper finds the due reports and pending notifications later.

ETA tasks are only queued for deadlines within the timer horizon (ESCALATION_TIMER_HORIZON_SECONDS):
a Redis worker holds an ETA task unacknowledged until it runs, and Redis redelivers any message left
unacknowledged past its visibility timeout, so a far ETA would be copied once per timeout while it
waits. Later deadlines are queued by the sweeper (`sweeper.timers_arm`) as they come within the horizon.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from safetrack.celery import app

logger = logging.getLogger(__name__)

ESCALATE_TASK = "incidents.tasks.escalate_report"
DELIVER_TASK = "incidents.tasks.deliver_notification"


def timer_horizon() -> timedelta:
    return timedelta(seconds=settings.ESCALATION_TIMER_HORIZON_SECONDS)


def within_horizon(at: datetime, now: datetime | None = None) -> bool:
    # Whoever sets a deadline queues its timer a little past the horizon (up to a minute), so a deadline
    # set by a transaction that commits after the sweeper looked at that part of the horizon is armed.
    slack = min(timedelta(seconds=60), timer_horizon() / 4)
    return at - (now or timezone.now()) <= timer_horizon() + slack


def _send(name: str, args: list[object], eta: datetime | None = None) -> None:
    try:
        app.send_task(name, args=args, eta=eta, retry=False)
    except Exception:  # the broker being away must never break filing or acknowledging
        logger.warning("could not enqueue %s%s; the sweeper will pick it up", name, args, exc_info=True)


def escalation_schedule(*, report_id: int, level: int, at: datetime | None) -> None:
    """After commit, queue an ETA task for the report's next deadline (if it is within the horizon)."""
    if at is None or not within_horizon(at):
        return
    transaction.on_commit(lambda: _send(ESCALATE_TASK, [report_id, level], eta=at))


def escalation_timers_send(timers: Iterable[tuple[int, int, datetime]]) -> None:
    """Queue the ETA tasks of (report id, level, deadline) timers now (the sweeper's arming)."""
    for report_id, level, at in timers:
        _send(ESCALATE_TASK, [report_id, level], eta=at)


def deliveries_schedule(notification_ids: Iterable[int]) -> None:
    ids = list(notification_ids)
    if not ids:
        return

    def send_all() -> None:
        for notification_id in ids:
            _send(DELIVER_TASK, [notification_id])

    transaction.on_commit(send_all)


def delivery_retry(*, notification_id: int, at: datetime) -> None:
    """Queue the delivery for `at`; one beyond the horizon is left to the sweeper's `notifications_recover`."""
    if within_horizon(at):
        _send(DELIVER_TASK, [notification_id], eta=at)
