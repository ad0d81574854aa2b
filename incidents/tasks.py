"""Celery tasks: thin wrappers that fetch by id and call a service. Replays are harmless because every
service they call is compare-and-set."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from incidents.models import Report
from incidents.services import delivery, digest, escalation, sweeper


@shared_task(
    name="incidents.tasks.escalate_report", acks_late=True, time_limit=60, soft_time_limit=50, max_retries=None
)
def escalate_report(report_id: int, expected_level: int) -> str:
    outcome = escalation.report_escalate(report_id=report_id, expected_level=expected_level)
    if outcome is escalation.Outcome.NOT_DUE:
        # Woke a little early (clock skew): come back at the deadline. A deadline further away was
        # moved (reopened at the same level) and has its own task; the sweeper covers both anyway.
        deadline = Report.objects.filter(pk=report_id).values_list("next_escalation_at", flat=True).first()
        if deadline is not None and deadline - timezone.now() < timedelta(seconds=2):
            escalate_report.apply_async((report_id, expected_level), eta=deadline)
    return outcome.value


@shared_task(name="incidents.tasks.deliver_notification", acks_late=True, time_limit=120, soft_time_limit=100)
def deliver_notification(notification_id: int) -> str:
    return delivery.notification_deliver(notification_id=notification_id).value


@shared_task(name="incidents.tasks.sweep", acks_late=True, time_limit=60, soft_time_limit=50)
def sweep() -> dict[str, int]:
    result = sweeper.sweep()
    return {
        "escalated": result.escalated,
        "requeued": result.requeued,
        "batches": result.batches,
        "armed": result.armed,
    }


@shared_task(name="incidents.tasks.send_weekly_digests", acks_late=True, time_limit=600, soft_time_limit=540)
def send_weekly_digests() -> dict[str, int]:
    """Hourly from beat; each production's week is claimed once, so extra runs send nothing."""
    result = digest.digests_send()
    return {"productions": result.productions, "emails": result.emails}
