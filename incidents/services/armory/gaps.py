"""Gaps in the armory's records become reports, filed by SafeTrack itself (`Identity.SYSTEM`, no
reporter) through `report_file`: routed, escalated, notified and put on their own trail like any other
report, with the armory record they are about linked (`ArmoryGap`) and the filing noted on the
production's armory trail.

Some gaps concern people beyond the ladder's first level at once (live rounds: the safety coordinator
and the producers, DESIGN.md flow 5): they are told of the filing in the same transaction, each once.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.models import Department, Membership, Production, User, rank_of
from incidents import access
from incidents.ladder import Ladder, ladder_for
from incidents.models import (
    Ammunition,
    ArmoryEventKind,
    ArmoryGap,
    CustodyRecord,
    Identity,
    Load,
    Notification,
    Report,
    ShootingDay,
    TimeRequest,
    Weapon,
)

from .. import notify
from ..filing import ReportDraft, report_file
from .trail import armory_event_append


@dataclass(frozen=True)
class Gap:
    """What SafeTrack says about a gap: the report's words and how far it reaches at once."""

    kind: str
    category: str
    severity: str
    title: str
    description: str
    weapon: Weapon | None = None
    custody: CustodyRecord | None = None
    day: ShootingDay | None = None
    time_request: TimeRequest | None = None
    ammunition: str = ""
    armorer_present: bool | None = None
    first_role: str | None = None  # start at the first ladder level this role sits at (default: level 1)
    first_level: int | None = None  # or at this level
    also_tell_roles: Sequence[str] = ()
    # The person whose own act the report is about (live rounds they tried to stock, a handover without
    # the check, a firearm out past the firearms gate, a refused request for safety time): never told as
    # a handler, never able to acknowledge it; the level above them is told instead (DESIGN.md, Flows 3).
    # Not for gaps nobody's single act caused (a missed meeting, a weapon out at wrap, a count that does
    # not add up, a request nobody answered): whoever must act on those stays able to.
    concerns_person: User | None = None


def load_ammunition(load: str) -> str:
    """The report's ammunition for a check-out's load: dummies or blanks; "" for a cold weapon."""
    return {Load.DUMMIES: Ammunition.DUMMY, Load.BLANKS: Ammunition.BLANK}.get(load, "")


def gap_language(user: User | None) -> str:
    """The language a gap's report is written in: that of the person whose action revealed it (their
    account's language), else the site's. The text is stored, so it must not depend on whichever
    language happens to be active in a worker or a shell."""
    return user.language if user is not None and user.language else settings.LANGUAGE_CODE


def level_for_role(ladder: Ladder, role: str) -> int:
    """The first level of the ladder that names `role`, else the first that reaches above it, else the top."""
    for level in ladder.levels:
        if role in level.roles:
            return level.number
    for level in ladder.levels:
        if level.min_rank >= rank_of(role):
            return level.number
    return ladder.top


def level_above_rank(ladder: Ladder, rank: int) -> int:
    """The first level of the ladder that reaches above `rank` (the top if none does)."""
    for level in ladder.levels:
        if level.min_rank > rank:
            return level.number
    return ladder.top


def gap_report_file(*, production: Production, gap: Gap, now: datetime) -> Report:
    """File the gap's report; the caller holds the transaction (and whatever locks made it a gap) and
    builds the gap's words inside `translation.override(gap_language(...))`."""
    first_level = gap.first_level
    if first_level is None and gap.first_role:
        first_level = level_for_role(ladder_for(production), gap.first_role)
    report = report_file(
        production=production,
        reporter=None,
        draft=ReportDraft(
            category=gap.category,
            severity=gap.severity,
            title=gap.title[:200],
            description=gap.description,
            occurred_at=now,
            location=_("Armory"),  # in the language of whoever (or whatever) found the gap
            department=Department.PROPS,
            weapon=str(gap.weapon)[:200] if gap.weapon else "",
            ammunition=gap.ammunition,
            armorer_present=gap.armorer_present,
            identity=Identity.SYSTEM,
            concerns_person=gap.concerns_person,
        ),
        now=now,
        first_level=first_level,
    )
    ArmoryGap.objects.create(
        report=report,
        production=production,
        kind=gap.kind,
        weapon=gap.weapon,
        custody=gap.custody,
        day=gap.day,
        time_request=gap.time_request,
        created_at=now,
    )
    if gap.also_tell_roles:
        _tell_roles(report=report, roles=gap.also_tell_roles)
    armory_event_append(
        production=production,
        kind=ArmoryEventKind.GAP_REPORTED,
        subject=f"report:{report.pk}",
        payload={
            "gap": gap.kind,
            "report": report.pk,
            "weapon": gap.weapon.pk if gap.weapon else None,
            "custody": gap.custody.pk if gap.custody else None,
            "day": gap.day.pk if gap.day else None,
            "time_request": gap.time_request.pk if gap.time_request else None,
        },
        at=now,
    )
    return report


def _tell_roles(*, report: Report, roles: Sequence[str]) -> None:
    """Notify the production's members in `roles` of the report's filing, if its level has not already."""
    filed = report.events.order_by("seq").first()
    already = set(Notification.objects.filter(event=filed).values_list("recipient_id", flat=True))
    users = [
        membership.user
        for membership in Membership.objects.filter(
            production_id=report.production_id, role__in=list(roles), user__is_active=True
        )
        .select_related("user")
        .order_by("user_id")
        if membership.user_id not in already and not access.is_conflicted(membership.user, report)
    ]
    if users:
        notify.notify(event=filed, report=report, recipients=_unique(users), level=report.escalation_level)


def _unique(users: list[User]) -> list[User]:
    return list({user.pk: user for user in users}.values())
