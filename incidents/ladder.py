"""A production's escalation ladder, read: its levels, who sits at each, and the deadline a report gets.

It sits below access and the services (both read it) and imports only models; a production without a
policy gets the default film-set ladder here, through the model's manager, so reading never calls a
service."""

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.utils.translation import gettext as _

from accounts.models import Membership, Production
from incidents.models import EscalationLevel, EscalationPolicy, Report, ReportStatus


@dataclass(frozen=True)
class Ladder:
    """A production's policy with its levels loaded once: what escalation reads on every step."""

    policy: EscalationPolicy
    levels: tuple[EscalationLevel, ...]

    @property
    def top(self) -> int:
        return self.levels[-1].number if self.levels else 1

    def level(self, number: int) -> EscalationLevel:
        """The level a report at `number` is at; past the top, the top level repeats."""
        best = self.levels[0]
        for level in self.levels:
            if level.number <= number:
                best = level
        return best

    def next_number(self, number: int) -> int:
        """The level above `number`; at (or, for a report left there by an older ladder, past) the top,
        the top itself: a report never climbs past it, the top level is reminded instead."""
        for level in self.levels:
            if level.number > number:
                return level.number
        return self.top

    def at_top(self, number: int) -> bool:
        return number >= self.top

    @property
    def top_reminders(self) -> int:
        return self.policy.top_reminders

    def deadline(self, *, status: str, severity: str, level_number: int, now: datetime) -> datetime | None:
        if status == ReportStatus.OPEN:
            return now + self.level(level_number).timeout(severity)
        if status == ReportStatus.ACKNOWLEDGED:
            return now + self.policy.resolve_within(severity)
        return None


T = TypeVar("T")


class VersionedCache:
    """Per-process cache of one value per production, valid for one `Production.config_version`.

    Database triggers bump the version on any change to what is cached (see accounts.Production), and
    every request loads its production row anyway, so a hit costs no query and an edit made anywhere
    (the admin, a service, another process, a raw UPDATE) is seen by the next request that loads the
    production. Values are shared between requests and threads: treat them as read-only."""

    def __init__(self, name: str, max_size: int = 512):
        self.name = name
        self.max_size = max_size
        self._values: dict[int, tuple[int, object]] = {}
        self._lock = threading.Lock()

    def get(self, production: Production, load: Callable[[], T]) -> T:
        key, version = production.pk, production.config_version
        cached = self._values.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]  # type: ignore[return-value]
        value = load()
        with self._lock:
            if len(self._values) >= self.max_size and key not in self._values:
                self._values.pop(next(iter(self._values)))  # the oldest entry
            self._values[key] = (version, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


LADDERS = VersionedCache("ladders")


def ladder_for(production: Production | int) -> Ladder:
    """The production's ladder. Given the Production row, from the per-process cache for its
    `config_version` (no query when warm); given only an id, read fresh."""
    if isinstance(production, Production):
        return LADDERS.get(production, lambda: _ladder_load(production.pk))
    return _ladder_load(production)


def _ladder_load(production_id: int) -> Ladder:
    policy = EscalationPolicy.objects.filter(production_id=production_id).first()
    if policy is None:
        policy = EscalationPolicy.objects.create_default(production=Production.objects.get(pk=production_id))
    levels = tuple(policy.levels.prefetch_related("people").order_by("number"))
    if not levels:
        policy = EscalationPolicy.objects.create_default(production=policy.production)
        levels = tuple(policy.levels.prefetch_related("people").order_by("number"))
    return Ladder(policy=policy, levels=levels)


def ladders_for(production_ids: set[int]) -> dict[int, Ladder]:
    """Ladders of several productions in a constant number of queries (the sweeper's batches)."""
    policies = {
        p.production_id: p
        for p in EscalationPolicy.objects.filter(production_id__in=production_ids).prefetch_related("levels__people")
    }
    ladders = {}
    for production_id in production_ids:
        policy = policies.get(production_id)
        if policy is None or not policy.levels.all():
            ladders[production_id] = ladder_for(production_id)
        else:
            ladders[production_id] = Ladder(policy, tuple(sorted(policy.levels.all(), key=lambda lv: lv.number)))
    return ladders


def level_label(ladder: Ladder, number: int) -> str:
    """Who sits at a report's level, in words ("Safety coordinator / 1st AD")."""
    return ladder.level(number).roles_display()


def level_words(ladder: Ladder, report: Report) -> str:
    """Where a report is on its ladder, the one way every badge, list, email and chart says it:
    "Level 5 of 5 (Executive) · reminder 2 of 3", and "· unanswered at the top" once reminders ran out.
    A report an older, longer ladder left past today's top is shown at the top."""
    number = min(report.escalation_level, ladder.top)
    words = _("Level %(level)s of %(top)s (%(roles)s)") % {
        "level": number,
        "top": ladder.top,
        "roles": level_label(ladder, number),
    }
    if report.status == ReportStatus.RESOLVED:
        return words
    if report.reminder_count and ladder.at_top(number):
        words += " · " + _("reminder %(count)s of %(limit)s") % {
            "count": report.reminder_count,
            "limit": max(ladder.top_reminders, report.reminder_count),
        }
    if report.unanswered_at_top_at is not None and report.status == ReportStatus.OPEN:
        words += " · " + _("unanswered at the top")
    return words


def levels_words(ladder: Ladder, reports: Iterable[Report]) -> dict[int, str]:
    """`level_words` of many reports of one ladder, by report id. Reports at the same place on it (the
    fields `level_words` reads: level, status, reminders, unanswered at the top) share their words, built
    once: a page of queue rows has a handful of distinct ones."""
    built: dict[tuple[object, ...], str] = {}
    words = {}
    for report in reports:
        place = (report.escalation_level, report.status, report.reminder_count, report.unanswered_at_top_at is None)
        if place not in built:
            built[place] = level_words(ladder, report)
        words[report.pk] = built[place]
    return words


def report_deadline(report: Report, ladder: Ladder, now: datetime) -> datetime | None:
    return ladder.deadline(
        status=report.status, severity=report.severity, level_number=report.escalation_level, now=now
    )


def levels_reaching_nobody(ladder: Ladder, memberships: Iterable[Membership]) -> list[EscalationLevel]:
    """The levels no member of the production sits at (nobody holds their roles, nobody they name is a
    member): a report passes them on its way up, and the production page and the admin warn about them.
    The same rule as the escalation's `Crew.level_recipients`, read from a list already loaded."""
    roles: set[str] = set()
    people: set[int] = set()
    for membership in memberships:
        if membership.user.is_active:
            roles.add(membership.role)
            people.add(membership.user_id)
    return [
        level
        for level in ladder.levels
        if not roles.intersection(level.roles)
        and not any(person.pk in people or person.is_superuser for person in level.people.all())
    ]
