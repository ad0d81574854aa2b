"""A production's page: who is on it."""

from django.db.models import QuerySet

from accounts.models import Membership, Production


def production_members(production: Production) -> QuerySet[Membership]:
    """The production's crew list for its handlers, by role then name."""
    return Membership.objects.filter(production=production).select_related("user").order_by("role", "user__full_name")
