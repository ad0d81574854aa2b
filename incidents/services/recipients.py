"""Who a level of the ladder reaches, for one report; and who must hear at once whatever the level
(every member for a stop-work call, the people who can stop a live round)."""

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from accounts.models import PRODUCER_RANK, Membership, Production, Role, User, rank_of
from incidents.ladder import Ladder, VersionedCache
from incidents.models import EscalationLevel, Report

CREWS = VersionedCache("crews")


class LeftOut(enum.StrEnum):
    """Why a handler a level names is not told of a report (recorded in the trail)."""

    REPORTER = "reporter"
    CONCERNED = "concerned"


@dataclass(frozen=True)
class Reach:
    """Who a level of the ladder tells about one report, who it leaves out and why, and the levels
    above it told instead."""

    recipients: list[User]
    excluded: list[tuple[int, str]] = field(default_factory=list)
    also_levels: list[int] = field(default_factory=list)

    def payload(self) -> dict[str, object]:
        """What the trail records of it (nothing when nobody was left out)."""
        if not self.excluded:
            return {}
        # The reporter is not named by id: the trail of a confidential report must not say who filed it.
        return {
            "excluded": [
                {"reason": reason} if reason == LeftOut.REPORTER else {"user": pk, "reason": reason}
                for pk, reason in self.excluded
            ],
            "also_levels": self.also_levels,
        }


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

    def left_out(self, report: Report) -> dict[int, str]:
        """The handlers never told as handlers of this report, and why (access.is_conflicted, read from
        the loaded memberships): its reporter, and the person or role it says it concerns."""
        left: dict[int, str] = {}
        if report.concerns_role:
            for membership in self._by_role[report.production_id].get(report.concerns_role, []):
                left[membership.user_id] = LeftOut.CONCERNED
        if report.concerns_person_id is not None:
            left[report.concerns_person_id] = LeftOut.CONCERNED
        if report.reporter_id is not None:
            left[report.reporter_id] = LeftOut.REPORTER
        return left

    def level_recipients(self, level: EscalationLevel, report: Report) -> list[User]:
        """The people a level names, less those too close to the report (`left_out`)."""
        left = self.left_out(report)
        return [user for user in self._named(level, report) if user.pk not in left]

    def level_reach(self, level: EscalationLevel, report: Report, ladder: Ladder) -> Reach:
        """Who to tell at a level: its people less those too close to the report; when someone it concerns
        is left out (or nobody is left), the level above is told too, and the one above that if it is
        left with nobody either."""
        left = self.left_out(report)
        named = self._named(level, report)
        excluded = [(user.pk, left[user.pk]) for user in named if user.pk in left]
        chosen = {user.pk: user for user in named if user.pk not in left}
        also: list[int] = []
        if any(reason == LeftOut.CONCERNED for _, reason in excluded) or (excluded and not chosen):
            number = level.number
            for above in (lv for lv in ladder.levels if lv.number > number):
                told = [user for user in self._named(above, report) if user.pk not in left]
                also.append(above.number)
                for user in told:
                    chosen.setdefault(user.pk, user)
                if told:
                    break
        return Reach(recipients=sorted(chosen.values(), key=lambda user: user.pk), excluded=excluded, also_levels=also)

    def ladder_reach(self, levels: Iterable[EscalationLevel], report: Report, ladder: Ladder) -> Reach:
        """`level_reach` of several levels told at once (a stop-work call, a repeat incident), merged."""
        chosen: dict[int, User] = {}
        excluded: dict[int, str] = {}
        also: list[int] = []
        for level in levels:
            reach = self.level_reach(level, report, ladder)
            chosen.update((user.pk, user) for user in reach.recipients)
            excluded.update(reach.excluded)
            also.extend(number for number in reach.also_levels if number not in also)
        return Reach(
            recipients=sorted(chosen.values(), key=lambda user: user.pk),
            excluded=sorted(excluded.items()),
            also_levels=also,
        )

    def _named(self, level: EscalationLevel, report: Report) -> list[User]:
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
        left = self.left_out(report)  # never the people it concerns, nor its reporter
        chosen = {
            membership.user_id: membership.user
            for role, members in by_role.items()
            if role in (Role.ARMORER, Role.SAFETY) or rank_of(role) >= PRODUCER_RANK
            for membership in members
            if membership.user_id not in left
        }
        return sorted(chosen.values(), key=lambda user: user.pk)


def production_members(production_id: int) -> list[User]:
    """Every member of a production who can sign in, crew included: a stop-work call reaches them all.
    One query, whatever the size of the production."""
    return list(User.objects.filter(memberships__production_id=production_id, is_active=True).distinct().order_by("pk"))
