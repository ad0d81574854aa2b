"""The in-app inbox: marking notifications read (the rows are written by `notify`)."""

from datetime import datetime

from django.utils import timezone

from accounts.models import User
from incidents.models import Channel, Notification


def notifications_mark_read(
    *,
    user: User,
    notification_id: int | None = None,
    report_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Mark the user's unread in-app notifications read: one, those of one report, or all of them.
    Someone else's notification is never touched. Returns how many changed."""
    unread = Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    if report_id is not None:
        unread = unread.filter(report_id=report_id)
    return unread.update(read_at=now or timezone.now())
