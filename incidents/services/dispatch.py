"""Hand work to Celery after the transaction commits. The database stays the source of truth: if the
broker is down, the sweeper finds the due reports and pending notifications later."""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from safetrack.celery import app

logger = logging.getLogger(__name__)

ESCALATE_TASK = "incidents.tasks.escalate_report"
DELIVER_TASK = "incidents.tasks.deliver_notification"


def _send(name: str, args: list[object], eta: datetime | None = None) -> None:
    try:
        app.send_task(name, args=args, eta=eta, retry=False)
    except Exception:  # the broker being away must never break filing or acknowledging
        logger.warning("could not enqueue %s%s; the sweeper will pick it up", name, args, exc_info=True)


def escalation_schedule(*, report_id: int, level: int, at: datetime | None) -> None:
    """After commit, queue an ETA task for the report's next deadline."""
    if at is None:
        return
    transaction.on_commit(lambda: _send(ESCALATE_TASK, [report_id, level], eta=at))


def deliveries_schedule(notification_ids: Iterable[int]) -> None:
    ids = list(notification_ids)
    if not ids:
        return

    def send_all() -> None:
        for notification_id in ids:
            _send(DELIVER_TASK, [notification_id])

    transaction.on_commit(send_all)


def delivery_retry(*, notification_id: int, at: datetime) -> None:
    _send(DELIVER_TASK, [notification_id], eta=at)
