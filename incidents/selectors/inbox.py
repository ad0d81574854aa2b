"""The in-app inbox: a user's notifications and how many are unread."""

from django.db.models import QuerySet

from accounts.models import User
from incidents.models import Channel, Notification


def inbox_for(user: User) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user, channel=Channel.IN_APP)
        .select_related("report__production", "event__actor", "report__reporter")
        .order_by("-created_at", "-pk")
    )


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True).count()
