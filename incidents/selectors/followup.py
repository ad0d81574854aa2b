"""Reads for a report's follow-up: its firearm flag, its corrective actions and its investigation."""

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from accounts.models import Membership, User
from incidents import access
from incidents.models import ActionStatus, CorrectiveAction, FirearmFlag, Report


def firearm_flag_of(report: Report) -> FirearmFlag | None:
    """The report's latest flag (waiting, confirmed or cleared), or None if the scanner never flagged it."""
    return (
        FirearmFlag.objects.filter(report_id=report.pk)
        .select_related("decided_by")
        .order_by("-flagged_at", "-pk")
        .first()
    )


def actions_of(report: Report) -> list[CorrectiveAction]:
    """The report's corrective actions in the order they were planned, with their people and evidence."""
    return list(
        CorrectiveAction.objects.filter(report_id=report.pk)
        .select_related("owner", "planned_by", "verified_by")
        .prefetch_related("evidence")
        .order_by("number")
    )


def action_owner_choices(production_id: int) -> list[tuple[int, str]]:
    """Who may own an action: the production's active members, by name ("Gil Grip · Crew")."""
    memberships = (
        Membership.objects.filter(production_id=production_id, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email", "pk")
    )
    return [(m.user_id, f"{m.user} · {m.get_role_display()}") for m in memberships]


def overdue_first(queryset: QuerySet[CorrectiveAction]) -> QuerySet[CorrectiveAction]:
    """Overdue actions first (oldest due date first), then the rest by due date."""
    now = timezone.now()
    overdue = Case(
        When(status=ActionStatus.PLANNED, due_at__lt=now, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return queryset.annotate(overdue_rank=overdue).order_by("overdue_rank", "due_at", "pk")


def actions_owned_by(user_id: int, limit: int = 20) -> list[CorrectiveAction]:
    """A person's actions still to do or to be verified, overdue first ("Your actions" on the home page)."""
    mine = CorrectiveAction.objects.filter(owner_id=user_id).unverified().select_related("report__production")
    return list(overdue_first(mine)[:limit])


def actions_open_in(production_id: int, limit: int = 50) -> list[CorrectiveAction]:
    """A production's unverified actions, overdue first (the dashboard)."""
    qs = (
        CorrectiveAction.objects.filter(report__production_id=production_id)
        .unverified()
        .select_related("report", "owner")
    )
    return list(overdue_first(qs)[:limit])


def actions_to_verify(user: User, limit: int = 8) -> list[CorrectiveAction]:
    """Actions marked done in the productions this person handles that they may verify (not their own,
    not on a report they are too close to), oldest first."""
    production_ids = access.handler_production_ids(user)
    if not production_ids:
        return []
    done = (
        CorrectiveAction.objects.filter(status=ActionStatus.DONE, report__production_id__in=production_ids)
        .exclude(owner=user)
        .select_related("report__production", "owner")
        .order_by("done_at", "pk")[: limit * 4]
    )
    return [a for a in done if access.can_verify_action(user, a, a.report)][:limit]
