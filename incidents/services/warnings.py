"""Ignored warnings: a new report names earlier ones that went nowhere; each earlier report gets an
event, and the level above whoever acknowledged or resolved it is told."""

from collections.abc import Sequence
from datetime import datetime

from accounts.models import Membership
from incidents.ladder import Ladder, ladder_for
from incidents.models import EventKind, Report

from . import notify
from .recipients import Crew
from .trail import event_append


def level_above_handler(earlier: Report, ladder: Ladder) -> int:
    """The first level above the person who handled the earlier report (or above its current level)."""
    handler_id = earlier.resolved_by_id or earlier.acknowledged_by_id
    rank = None
    if handler_id:
        membership = Membership.objects.filter(user_id=handler_id, production_id=earlier.production_id).first()
        rank = membership.rank if membership else None
    if rank is None:
        return ladder.next_number(earlier.escalation_level) if earlier.escalation_level < ladder.top else ladder.top
    for level in ladder.levels:
        if level.min_rank > rank:
            return level.number
    return ladder.top


def warnings_link(*, report: Report, earlier_reports: Sequence[Report], now: datetime) -> None:
    """Link `report` to earlier reports of the same production (the caller checked the reporter may see
    them). The earlier reports' events never name the new reporter."""
    earlier_ids = sorted(
        {e.pk for e in earlier_reports if e.production_id == report.production_id and e.pk != report.pk}
    )
    if not earlier_ids:
        return
    report.earlier_reports.set(earlier_ids)
    ladder = ladder_for(report.production_id)
    crew = Crew.of([report.production_id])
    for earlier in Report.objects.select_for_update().select_related("production").filter(pk__in=earlier_ids):
        event = event_append(
            report=earlier,
            kind=EventKind.WARNING_IGNORED,
            at=now,
            payload={"later_report": report.pk, "later_category": report.category},
        )
        level_number = level_above_handler(earlier, ladder)
        recipients = crew.level_recipients(ladder.level(level_number), earlier)
        notify.notify(event=event, report=earlier, recipients=recipients, level=level_number)
