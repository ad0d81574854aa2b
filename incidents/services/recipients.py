"""Who a level of the ladder reaches, for one report; and who must hear at once whatever the level
(every member for a stop-work call, the people who can stop a live round)."""

from collections import defaultdict
from collections.abc import Iterable

from accounts.models import PRODUCER_RANK, Membership, Production, Role, User, rank_of
from incidents.ladder import VersionedCache
from incidents.models import EscalationLevel, Report

CREWS = VersionedCache("crews")


class Crew:
    """The handlers of some productions, loaded once and grouped by production and role."""

    def __init__(self, memberships: Iterable[Membership]):
        self._by_role: dict[int, dict[str, list[Membership]]] = defaultdict(lambda: defaultdict(list))
        self._users: dict[int, dict[int, User]] = defaultdict(dict)
        for membership in memberships:
            self._by_role[membership.production_id][membership.role].append(membership)
            self._users[membership.production_id][membership.user_id] = membership.user

    @classmethod
    def of_production(cls, production: Production) -> "Crew":
        """One production's handlers, from the per-process cache for its `config_version` (database
        triggers bump it when a membership, or a member's email, active or superuser flag, changes)."""
        return CREWS.get(production, lambda: cls.of([production.pk]))

    @classmethod
    def of(cls, production_ids: Iterable[int]) -> "Crew":
        memberships = (
            Membership.objects.filter(production_id__in=list(production_ids), user__is_active=True)
            .exclude(role=Role.CREW)
            .select_related("user")
        )
        return cls(memberships)

    def level_recipients(self, level: EscalationLevel, report: Report) -> list[User]:
        """The people a level names: its roles (department heads of the report's department when there
        are any, else all of them) and the people named on the level who belong to the production."""
        by_role = self._by_role[report.production_id]
        chosen: dict[int, User] = {}
        for role in level.roles:
            members = by_role.get(role, [])
            if role == Role.DEPARTMENT_HEAD and report.department:
                same_department = [m for m in members if m.department == report.department]
                members = same_department or members
            for membership in members:
                chosen[membership.user_id] = membership.user
        production_users = self._users[report.production_id]
        for person in level.people.all():
            if person.pk in production_users or person.is_superuser:
                chosen[person.pk] = person
        return sorted(chosen.values(), key=lambda user: user.pk)

    def who_can_stop_it(self, report: Report) -> list[User]:
        """The armorer, the safety coordinator and the producers (and above): told of a live round at once,
        whatever level it starts at."""
        by_role = self._by_role[report.production_id]
        chosen = {
            membership.user_id: membership.user
            for role, members in by_role.items()
            if role in (Role.ARMORER, Role.SAFETY) or rank_of(role) >= PRODUCER_RANK
            for membership in members
        }
        return sorted(chosen.values(), key=lambda user: user.pk)


def production_members(production_id: int) -> list[User]:
    """Every member of a production who can sign in, crew included: a stop-work call reaches them all.
    One query, whatever the size of the production."""
    return list(User.objects.filter(memberships__production_id=production_id, is_active=True).distinct().order_by("pk"))
