"""Write notification outbox rows in the caller's transaction; deliveries run after commit."""

from collections.abc import Iterable, Sequence

from django.utils import timezone

from accounts.models import Production, User
from incidents.models import Channel, Event, Notification, Report

from . import dispatch

PERSONAL_CHANNELS = (Channel.IN_APP, Channel.EMAIL)


def notifications_build(
    *,
    event: Event,
    report: Report,
    recipients: Sequence[User],
    level: int | None,
    production: Production,
    webhook: bool = True,
) -> list[Notification]:
    """Rows for one event: in-app and email for each person, and the production's webhook once.

    In-app rows are delivered by being written (the inbox reads them), so they start as sent.
    """
    now = timezone.now()
    rows = []
    for user in recipients:
        rows.append(
            Notification(
                report=report,
                event=event,
                level=level,
                recipient=user,
                channel=Channel.IN_APP,
                status=Notification.Status.SENT,
                sent_at=now,
            )
        )
        if user.email:
            rows.append(
                Notification(
                    report=report,
                    event=event,
                    level=level,
                    recipient=user,
                    channel=Channel.EMAIL,
                    status=Notification.Status.PENDING,
                    next_attempt_at=now,
                )
            )
    if webhook and production.webhook_url and recipients:
        rows.append(
            Notification(
                report=report,
                event=event,
                level=level,
                recipient=None,
                channel=Channel.WEBHOOK,
                status=Notification.Status.PENDING,
                next_attempt_at=now,
            )
        )
    return rows


def notifications_save(rows: Iterable[Notification]) -> list[Notification]:
    """Insert the rows and queue the deliveries of the pending ones after commit."""
    saved = Notification.objects.bulk_create(list(rows))
    dispatch.deliveries_schedule(n.pk for n in saved if n.status == Notification.Status.PENDING)
    return saved


def notify(
    *,
    event: Event,
    report: Report,
    recipients: Sequence[User],
    level: int | None = None,
    webhook: bool = True,
) -> list[Notification]:
    return notifications_save(
        notifications_build(
            event=event,
            report=report,
            recipients=recipients,
            level=level,
            production=report.production,
            webhook=webhook,
        )
    )
