"""An overdue corrective action climbs like a report: past its due date its owner is told, then, at the
policy's "resolve within" interval for the report's severity, the first level of the ladder above the
owner's rank, then each level above that, up to the top (told once; the top does not repeat).

One step is a compare-and-set on the action's `escalation_step`: the ETA task of a deadline and the
sweeper's batch both call `action_escalate` with the step they saw, and only the first finds the row
still at that step. Locks are taken report first, then action, as every writer of an action does
(`incidents.services.actions`), because the step's event goes on the report's trail."""

import enum
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, User
from incidents.ladder import Ladder, ladder_for
from incidents.models import ActionStatus, CorrectiveAction, EventKind, Report

from . import dispatch, notify
from .recipients import Crew
from .trail import event_append


class Outcome(enum.StrEnum):
    ESCALATED = "escalated"
    NOT_DUE = "not_due"
    STALE = "stale"  # done, verified, sent back, or already moved on by another timer or sweep


def _next_level(ladder: Ladder, action: CorrectiveAction, report: Report) -> int | None:
    """The ladder level the next step tells: 0 means the owner; None once the top has been told."""
    if action.escalation_step == 0:
        return 0
    if action.escalation_level == 0:
        membership = Membership.objects.filter(production_id=report.production_id, user_id=action.owner_id).first()
        owner_rank = membership.rank if membership else 0
        above = [level.number for level in ladder.levels if level.min_rank > owner_rank]
        return above[0] if above else ladder.top
    if action.escalation_level >= ladder.top:
        return None
    return ladder.next_number(action.escalation_level)


def action_escalate(*, action_id: int, expected_step: int, now: datetime | None = None) -> Outcome:
    candidates = CorrectiveAction.objects.filter(
        pk=action_id, escalation_step=expected_step, status=ActionStatus.PLANNED, next_escalation_at__isnull=False
    )
    report_id = candidates.values_list("report_id", flat=True).first()
    if report_id is None:
        return Outcome.STALE
    with transaction.atomic():
        report = Report.objects.select_for_update(of=("self",)).select_related("production").get(pk=report_id)
        action = candidates.select_for_update(of=("self",)).select_related("owner").first()
        if action is None:
            return Outcome.STALE
        at = now or timezone.now()
        if action.next_escalation_at > at:
            return Outcome.NOT_DUE
        ladder = ladder_for(report.production_id)
        to_level = _next_level(ladder, action, report)
        if to_level is None:  # the top was told: nothing further to climb to
            action.next_escalation_at = None
            action.save(update_fields=["next_escalation_at"])
            return Outcome.STALE
        recipients: dict[int, User] = {action.owner_id: action.owner} if action.owner.is_active else {}
        if to_level:
            level = ladder.level(to_level)
            for person in Crew.of([report.production_id]).level_recipients(level, report):
                if person.pk != report.reporter_id:
                    recipients[person.pk] = person
        action.escalation_step += 1
        action.escalation_level = to_level
        action.next_escalation_at = (
            None if to_level >= ladder.top else at + ladder.policy.resolve_within(report.severity)
        )
        action.save(update_fields=["escalation_step", "escalation_level", "next_escalation_at"])
        event = event_append(
            report=report,
            kind=EventKind.ACTION_ESCALATED,
            at=at,
            payload={
                "action_id": action.pk,
                "number": action.number,
                "what": action.what,
                "owner": action.owner_id,
                "to_level": to_level,
                "due_on": action.due_on.isoformat(),
                "recipients": sorted(recipients),
                "deadline": action.next_escalation_at.isoformat() if action.next_escalation_at else None,
            },
        )
        notify.notify(
            event=event, report=report, recipients=list(recipients.values()), level=to_level or None, webhook=False
        )
        dispatch.action_escalation_schedule(
            action_id=action.pk, step=action.escalation_step, at=action.next_escalation_at
        )
    return Outcome.ESCALATED


def actions_escalate_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Escalate the overdue actions whose step is due (oldest first); returns how many moved. Each is its
    own compare-and-set, so sweepers running at once, and timers, never tell anyone twice."""
    now = now or timezone.now()
    due = list(
        CorrectiveAction.objects.filter(status=ActionStatus.PLANNED, next_escalation_at__lte=now)
        .order_by("next_escalation_at")
        .values_list("pk", "escalation_step")[:limit]
    )
    return sum(action_escalate(action_id=pk, expected_step=step, now=now) is Outcome.ESCALATED for pk, step in due)
