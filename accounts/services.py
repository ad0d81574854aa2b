"""Writes and small reads for people and productions."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Department, Membership, Production, Role, User, new_join_code

CURRENT_PRODUCTION_KEY = "current_production"


def membership_join(
    *, user: User, production: Production, department: str = Department.OTHER
) -> tuple[Membership, bool]:
    """Join a production as crew; returns (membership, created). Joining twice changes nothing."""
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                user=user, production=production, role=Role.CREW, department=department
            )
            return membership, True
    except IntegrityError:
        return Membership.objects.get(user=user, production=production), False


def production_for_join_code(code: str) -> Production | None:
    """The production a typed or scanned join code names, or None. Codes are ASCII letters and digits:
    anything else (a NUL byte PostgreSQL would refuse, a slash, an emoji) names no production and
    never reaches the database."""
    code = code.strip().upper()
    if not code or len(code) > 32 or not (code.isascii() and code.isalnum()):
        return None
    return Production.objects.filter(join_code=code).first()


def production_regenerate_join_code(*, production: Production) -> str:
    production.join_code = new_join_code()
    production.save(update_fields=["join_code"])
    return production.join_code


def _memberships_of(user_ids: Iterable[int]) -> QuerySet[Membership]:
    """Memberships with their productions, by production name: what `user_memberships` answers."""
    return Membership.objects.filter(user_id__in=user_ids).select_related("production").order_by("production__name")


def memberships_prime(users: Iterable[User]) -> None:
    """Read the memberships of many people in one query, for `user_memberships` to answer from (a delivery
    batch decides, for each recipient, whether their email carries a one-click acknowledge link)."""
    waiting = [user for user in users if user.is_authenticated and getattr(user, "_membership_list", None) is None]
    if not waiting:
        return
    by_user: dict[int, list[Membership]] = {user.pk: [] for user in waiting}
    for membership in _memberships_of(by_user):
        by_user[membership.user_id].append(membership)
    for user in waiting:
        user._membership_list = list(by_user[user.pk])


def user_memberships(user: User) -> list[Membership]:
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_membership_list", None)
    if cached is None:
        cached = list(_memberships_of([user.pk]))
        user._membership_list = cached
    return cached


def current_production(request: HttpRequest) -> Production | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = user_memberships(user)
    if not memberships:
        return None
    wanted = request.session.get(CURRENT_PRODUCTION_KEY)
    for membership in memberships:
        if membership.production_id == wanted:
            return membership.production
    return memberships[0].production


def current_production_set(request: HttpRequest, production: Production) -> None:
    request.session[CURRENT_PRODUCTION_KEY] = production.pk


def login_lockout_lift(user: User) -> int:
    """Lift the lockout of repeated wrong passwords on this account (a completed password reset: the
    lockout page offers it as the way out). The attempts were recorded under the email as typed, in any
    capitals. Returns how many records were removed."""
    from axes.models import AccessAttempt
    from axes.utils import reset

    typed = set(AccessAttempt.objects.filter(username__iexact=user.email).values_list("username", flat=True))
    return sum(reset(username=username) for username in typed | {user.email})
