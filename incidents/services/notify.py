"""Write notification outbox rows in the caller's transaction; deliveries run after commit."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.utils import timezone

from accounts.models import Production, User
from incidents.models import Channel, Event, Notification, Report
from incidents.selectors.contacts import ContactBook

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
    contacts: ContactBook | None = None,
) -> list[Notification]:
    """Rows for one event: for each person, the in-app row and one per channel that reaches them
    (selectors.contacts: email, push, SMS; every one they set up for critical reports and stop-work calls);
    and the production's webhook once. Pass `contacts` when building for many events at once."""
    now = timezone.now()
    contacts = contacts if contacts is not None else ContactBook.of_production(production, (u.pk for u in recipients))

    def row(channel: str, recipient: User | None) -> Notification:
        return _row(report=report, event=event, level=level, recipient=recipient, channel=channel, now=now)

    rows = []
    for user in recipients:
        reach = contacts.reach(user)
        for channel in reach.channels(severity=report.severity, stop_work=report.is_stop_work, kind=event.kind):
            rows.append(row(channel, user))
    if webhook and production.webhook_url and recipients:
        rows.append(row(Channel.WEBHOOK, None))
    return rows


def webhook_rows(*, event: Event, report: Report, level: int | None) -> list[Notification]:
    """The production's webhook row for an event that tells it even when no person is told (an alert
    to the admins of a production without admins still reaches its chat channel)."""
    if not report.production.webhook_url:
        return []
    return [_row(report=report, event=event, level=level, recipient=None, channel=Channel.WEBHOOK, now=timezone.now())]


def _row(
    *, report: Report, event: Event, level: int | None, recipient: User | None, channel: str, now: datetime
) -> Notification:
    """In-app rows are delivered by being written (the inbox reads them), so they start as sent; the
    others wait for their delivery task, due now."""
    if channel == Channel.IN_APP:
        delivery = {"status": Notification.Status.SENT, "sent_at": now}
    else:
        delivery = {"status": Notification.Status.PENDING, "next_attempt_at": now}
    return Notification(report=report, event=event, level=level, recipient=recipient, channel=channel, **delivery)


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
