"""Who the last safety net reaches: a report unanswered at the top alerts its production's admins, or,
when the production has none who can be told, the site's administrators (active superusers, who may read
every report). When there is nobody either, the trail says so rather than claim an alert."""

import enum
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from accounts.models import Production, User
from incidents.models import Event, EventKind, Report, ReportStatus


class AlertedWho(enum.StrEnum):
    """Whom an "unanswered at the top" alert reached (recorded in its event's payload)."""

    ADMINS = "admins"
    SITE_ADMINS = "site_admins"
    NOBODY = "nobody"


def production_admins(production_ids: Iterable[int]) -> dict[int, list[User]]:
    """Each production's admin staff who can still sign in, in one query."""
    admins: dict[int, list[User]] = defaultdict(list)
    through = Production.admins.through.objects.filter(
        production_id__in=list(production_ids), user__is_active=True
    ).select_related("user")
    for row in through.order_by("user_id"):
        admins[row.production_id].append(row.user)
    return admins


def site_admins() -> list[User]:
    """The site's administrators who can sign in: the last people an alert can reach."""
    return list(User.objects.filter(is_superuser=True, is_active=True).order_by("pk"))


def last_alert_expected(production: Production) -> AlertedWho:
    """Whom an alert would reach today, for the report page's "what happens next" (two small queries)."""
    if production.admins.filter(is_active=True).exists():
        return AlertedWho.ADMINS
    if User.objects.filter(is_superuser=True, is_active=True).exists():
        return AlertedWho.SITE_ADMINS
    return AlertedWho.NOBODY


def alerted_who(payload: dict[str, Any]) -> AlertedWho | None:
    """Whom an "unanswered at the top" alert reached (None: not the alerting event). Events written before
    it was recorded reached the production's admins when they name recipients, and no person otherwise."""
    if not payload.get("alerted"):
        return None
    if payload.get("alerted_who") in {who.value for who in AlertedWho}:
        return AlertedWho(payload["alerted_who"])
    return AlertedWho.ADMINS if payload.get("recipients") else AlertedWho.NOBODY


def top_alert_of(report: Report, *, at_top: bool, last_deadline: bool) -> AlertedWho | None:
    """For the report's status: whom its alert reached, once unanswered at the top (its event says), or
    whom it will reach at its next deadline when that deadline ends the reminders. None otherwise."""
    if report.status != ReportStatus.OPEN or not at_top:
        return None
    if report.unanswered_at_top_at is not None and report.next_escalation_at is None:
        event = (
            Event.objects.filter(report_id=report.pk, kind=EventKind.UNANSWERED_AT_TOP, payload__alerted=True)
            .order_by("-seq")
            .only("payload")
            .first()
        )
        return alerted_who(event.payload or {}) if event is not None else AlertedWho.NOBODY
    if last_deadline and report.next_escalation_at is not None:
        return last_alert_expected(report.production)
    return None
