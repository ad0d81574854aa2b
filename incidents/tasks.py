"""Celery tasks: thin wrappers that fetch by id and call a service. Replays are harmless because every
service they call is compare-and-set."""

from datetime import datetime, timedelta

from celery import Task, shared_task
from celery.utils.log import get_task_logger
from django.conf import settings
from django.utils import timezone

from incidents.services import action_escalation, delivery, digest, dispatch, escalation, sweeper
from safetrack import task_names

logger = get_task_logger(__name__)  # the worker's --loglevel, whatever LOG_LEVEL says

# A timer that starts this long after its deadline means the workers are behind (a burst of deadlines,
# or a worker back after an outage). It then first escalates a batch of whatever is due (its own report
# among them), in one transaction as the sweeper does: a backlog drains in batches of SWEEP_BATCH_SIZE,
# many times cheaper per report than a task each, the reports that fall due meanwhile are taken by the
# next late timer, and the timers still queued find their work done (one query). Measured with
# bench/escalation_lag.py; throttling these batches to one per 0.5 s per process made the median lag
# of a 33-a-second burst 660 ms instead of 29 ms.
CATCH_UP_AFTER = timedelta(seconds=1)


@shared_task(
    bind=True,
    name=task_names.ESCALATE_REPORT,
    acks_late=True,
    time_limit=60,
    soft_time_limit=50,
    max_retries=None,
)
def escalate_report(self: Task, report_id: int, expected_level: int) -> str:
    if _running_late(self.request.eta):
        caught_up = escalation.reports_escalate_due(limit=settings.SWEEP_BATCH_SIZE)
        if caught_up:
            logger.info("timer of report %s ran late: caught up %d due reports", report_id, caught_up)
    outcome = escalation.report_escalate(report_id=report_id, expected_level=expected_level)
    if outcome is escalation.Outcome.NOT_DUE:
        dispatch.escalation_retry_early(report_id=report_id, level=expected_level)
    return outcome.value


@shared_task(name=task_names.ESCALATE_ACTION, acks_late=True, time_limit=60, soft_time_limit=50)
def escalate_action(action_id: int, expected_step: int) -> str:
    """An overdue corrective action's next step; a replay finds the step taken and changes nothing (an
    early one is left to the sweeper)."""
    return action_escalation.action_escalate(action_id=action_id, expected_step=expected_step).value


def _running_late(eta: str | datetime | None) -> bool:
    if not eta:
        return False
    deadline = eta if isinstance(eta, datetime) else datetime.fromisoformat(eta)
    return timezone.now() - deadline > CATCH_UP_AFTER


@shared_task(name=task_names.DELIVER_NOTIFICATION, acks_late=True, time_limit=120, soft_time_limit=100)
def deliver_notification(notification_id: int) -> str:
    """One row: what was queued before deliveries went one task per transaction (kept so those messages run)."""
    return delivery.notification_deliver(notification_id=notification_id).value


@shared_task(name=task_names.DELIVER_NOTIFICATIONS, acks_late=True, time_limit=120, soft_time_limit=100)
def deliver_notifications(notification_ids: list[int]) -> list[str]:
    """The notifications one transaction created (a filing, an escalation), delivered together."""
    return [outcome.value for outcome in delivery.notifications_deliver(notification_ids=notification_ids)]


@shared_task(name=task_names.SWEEP, acks_late=True, time_limit=60, soft_time_limit=50)
def sweep() -> dict[str, int]:
    result = sweeper.sweep()
    return {
        "escalated": result.escalated,
        "requeued": result.requeued,
        "batches": result.batches,
        "armed": result.armed,
        "armory": result.armory,
    }


@shared_task(name=task_names.SEND_WEEKLY_DIGESTS, acks_late=True, time_limit=600, soft_time_limit=540)
def send_weekly_digests() -> dict[str, int]:
    """Hourly from beat; each production's week is claimed once, so extra runs send nothing."""
    result = digest.digests_send()
    return {"productions": result.productions, "emails": result.emails}
