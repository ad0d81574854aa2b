"""Reads that matter, with their joins decided once."""

from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from accounts.services import current_production, user_memberships
from incidents.models import Channel, Notification, Report


def active_stop_work_for(production_ids: list[int]) -> list[Report]:
    if not production_ids:
        return []
    return list(
        Report.objects.active_stop_work()
        .filter(production_id__in=production_ids)
        .select_related("production", "reporter")
        .order_by("created_at")
    )


def inbox_for(user: User) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user, channel=Channel.IN_APP)
        .select_related("report__production", "event__actor", "report__reporter")
        .order_by("-created_at", "-pk")
    )


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True).count()


def navbar_context(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = user_memberships(user)
    return {
        "my_memberships": memberships,
        "current_production": current_production(request),
        "stop_work_banners": active_stop_work_for([m.production_id for m in memberships]),
        "inbox_unread": unread_count(user),
    }
