"""Corrective actions (DESIGN.md flow 7): plan them, mark one done with evidence, verify it or send it
back. The report is resolved by the verification of its last unverified action.

Each function locks the report row first and then the action rows (the order every writer of an action
uses, `action_escalation` included), checks who may act through `incidents.access`, writes the change
and its event on the report's trail together, and tells the people concerned after commit."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from incidents import access
from incidents.ladder import ladder_for
from incidents.models import ActionStatus, CorrectiveAction, EventKind, Identity, Report, ReportStatus

from . import dispatch, notify
from .attachments import CleanUpload, attachments_save
from .trail import event_append

MAX_ACTIONS_PER_PLAN = 10
WHAT_MAX = 300
DONE_MEANS_MAX = 2000
NOTE_MAX = 4000
SUMMARY_MAX = 10000
LONGEST_DUE = timedelta(days=2 * 366)  # a production's whole life; further is a typo (9999-12-31)


@dataclass(frozen=True)
class ActionPlan:
    """One action as the handler typed it."""

    what: str
    done_means: str
    owner_id: int
    due_on: date


def _lock_report(report_id: int) -> Report:
    return Report.objects.select_for_update(of=("self",)).select_related("production").get(pk=report_id)


def _lock_action(action_id: int) -> tuple[Report, CorrectiveAction]:
    """The action's report, then the action, both locked (in that order)."""
    report_id = CorrectiveAction.objects.filter(pk=action_id).values_list("report_id", flat=True).first()
    if report_id is None:
        raise CorrectiveAction.DoesNotExist
    report = _lock_report(report_id)
    action = CorrectiveAction.objects.select_for_update(of=("self",)).select_related("owner").get(pk=action_id)
    action.report = report
    return report, action


def due_at_for(due_on: date, report: Report) -> datetime:
    """The end of the due day where the production shoots: overdue from the next midnight there."""
    return datetime.combine(due_on + timedelta(days=1), time.min, tzinfo=report.production.tzinfo)


def _shown_name(report: Report, person: User) -> str | None:
    """A name kept in the hashed trail: never a confidential or anonymous reporter's (see trail._actor_name)."""
    if person.pk == report.reporter_id and report.identity != Identity.NAMED:
        return None
    return str(person)


def _reporter(report: Report) -> list[User]:
    if report.identity == Identity.ANONYMOUS or report.reporter is None or not report.reporter.is_active:
        return []
    return [report.reporter]


def _check_plans(report: Report, plans: Sequence[ActionPlan], summary: str, now: datetime) -> dict[int, User]:
    if not summary:
        raise ValidationError(_("Say what was found and what will be done."), code="required")
    if len(summary) > SUMMARY_MAX:
        raise ValidationError(_("Keep the summary under 10,000 characters."), code="too_long")
    if not plans:
        raise ValidationError(_("List at least one corrective action."), code="no_actions")
    if len(plans) > MAX_ACTIONS_PER_PLAN:
        raise ValidationError(
            _("At most %(limit)s actions at once.") % {"limit": MAX_ACTIONS_PER_PLAN}, code="too_many_actions"
        )
    members = {
        m.user_id: m.user
        for m in Membership.objects.filter(
            production_id=report.production_id, user_id__in=[p.owner_id for p in plans], user__is_active=True
        ).select_related("user")
    }
    today = timezone.localtime(now, report.production.tzinfo).date()
    for plan in plans:
        if not plan.what.strip() or not plan.done_means.strip():
            raise ValidationError(_("Each action needs what to do and what done means."), code="required")
        if len(plan.what) > WHAT_MAX or len(plan.done_means) > DONE_MEANS_MAX:
            raise ValidationError(_("An action's text is too long."), code="too_long")
        if plan.owner_id not in members:
            raise ValidationError(_("Each action's owner must be a member of this production."), code="bad_owner")
        if plan.due_on < today:
            raise ValidationError(_("A due date cannot be in the past."), code="past_due")
        if plan.due_on > today + LONGEST_DUE:
            raise ValidationError(_("Choose a due date within the next two years."), code="too_far")
    return members


def actions_plan(
    *, report_id: int, user: User, summary: str, plans: Sequence[ActionPlan], now: datetime | None = None
) -> list[CorrectiveAction]:
    """Resolve a report by planning its corrective actions. The report stops escalating by itself (its
    actions escalate when overdue) and is resolved once every action is verified. An open report is
    acknowledged by whoever plans its actions."""
    summary = (summary or "").strip()
    now = now or timezone.now()
    with transaction.atomic():
        report = _lock_report(report_id)
        if report.status == ReportStatus.RESOLVED:
            raise ValidationError(_("This report is already resolved."), code="already_resolved")
        if not access.can_plan_actions(user, report, ladder_for(report.production_id)):
            raise PermissionDenied(_("You cannot resolve this report."))
        owners = _check_plans(report, plans, summary, now)
        fields = ["resolution"]
        if report.status == ReportStatus.OPEN:
            report.status = ReportStatus.ACKNOWLEDGED
            report.acknowledged_by = user
            report.acknowledged_at = now
            fields += ["status", "acknowledged_by", "acknowledged_at"]
        report.resolution = summary
        report.next_escalation_at = None
        report.first_answered_at = report.first_answered_at or now
        first = (CorrectiveAction.objects.filter(report_id=report.pk).aggregate(n=Max("number"))["n"] or 0) + 1
        actions = CorrectiveAction.objects.bulk_create(
            [
                CorrectiveAction(
                    report=report,
                    number=first + i,
                    what=plan.what.strip(),
                    done_means=plan.done_means.strip(),
                    owner=owners[plan.owner_id],
                    due_on=plan.due_on,
                    due_at=due_at_for(plan.due_on, report),
                    next_escalation_at=due_at_for(plan.due_on, report),
                    planned_by=user,
                    planned_at=now,
                )
                for i, plan in enumerate(plans)
            ]
        )
        event = event_append(
            report=report,
            kind=EventKind.ACTIONS_PLANNED,
            actor=user,
            at=now,
            public=True,
            payload={
                "summary": summary,
                "actions": [
                    {
                        "action_id": a.pk,
                        "number": a.number,
                        "what": a.what,
                        "done_means": a.done_means,
                        "owner": a.owner_id,
                        "owner_name": _shown_name(report, a.owner),
                        "due_on": a.due_on.isoformat(),
                    }
                    for a in actions
                ],
            },
            fields=fields,
        )
        report.save(update_fields=[*fields, "next_escalation_at", "first_answered_at"])
        owners_told = {a.owner_id: a.owner for a in actions if a.owner_id != user.pk}
        recipients = {u.pk: u for u in [*owners_told.values(), *_reporter(report)]}
        notify.notify(event=event, report=report, recipients=list(recipients.values()), webhook=False)
        for action in actions:
            dispatch.action_escalation_schedule(action_id=action.pk, step=0, at=action.next_escalation_at)
    return actions


def action_mark_done(
    *,
    action_id: int,
    user: User,
    note: str,
    uploads: Sequence[CleanUpload] = (),
    now: datetime | None = None,
) -> CorrectiveAction:
    """The owner says it is done, with evidence (a note, and photos or PDFs already checked by
    `attachments.upload_clean`). Whoever planned it is asked to have it verified."""
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Say what was done, as evidence."), code="required")
    if len(note) > NOTE_MAX:
        raise ValidationError(_("Keep the evidence under 4,000 characters."), code="too_long")
    now = now or timezone.now()
    with transaction.atomic():
        report, action = _lock_action(action_id)
        if action.status != ActionStatus.PLANNED:
            raise ValidationError(_("This action is already marked done."), code="not_planned")
        if not access.can_mark_action_done(user, action):
            raise PermissionDenied(_("Only this action's owner can mark it done."))
        action.status = ActionStatus.DONE
        action.done_at = now
        action.done_note = note
        action.next_escalation_at = None
        action.save(update_fields=["status", "done_at", "done_note", "next_escalation_at"])
        evidence = attachments_save(report=report, uploads=uploads, action=action)
        event = event_append(
            report=report,
            kind=EventKind.ACTION_DONE,
            actor=user,
            at=now,
            payload={
                "action_id": action.pk,
                "number": action.number,
                "note": note,
                "evidence": [{"attachment": a.pk, "sha256": a.sha256} for a in evidence],
            },
        )
        recipients = [] if action.planned_by_id == user.pk else [action.planned_by]
        notify.notify(event=event, report=report, recipients=recipients, webhook=False)
    return action


def _judge(report: Report, action: CorrectiveAction, user: User) -> None:
    if action.status != ActionStatus.DONE:
        if action.status == ActionStatus.VERIFIED:
            raise ValidationError(_("This action is already verified."), code="verified")
        raise ValidationError(_("This action is not marked done yet."), code="not_done")
    if not access.can_verify_action(user, action, report):
        if action.owner_id == user.pk:
            raise PermissionDenied(_("Someone other than its owner must verify an action."))
        raise PermissionDenied(_("You cannot verify this action."))


def action_verify(*, action_id: int, user: User, now: datetime | None = None) -> CorrectiveAction:
    """Someone other than the owner (and not the reporter or anyone the report concerns) checks it was
    done. The last verification resolves the report; the reporter is told and can still reopen it."""
    now = now or timezone.now()
    with transaction.atomic():
        report, action = _lock_action(action_id)
        _judge(report, action, user)
        action.status = ActionStatus.VERIFIED
        action.verified_by = user
        action.verified_at = now
        action.save(update_fields=["status", "verified_by", "verified_at"])
        event_append(
            report=report,
            kind=EventKind.ACTION_VERIFIED,
            actor=user,
            at=now,
            public=True,
            payload={"action_id": action.pk, "number": action.number, "what": action.what},
        )
        if not CorrectiveAction.objects.filter(report_id=report.pk).unverified().exists():
            _resolve_locked(report, action, now)
    return action


def _resolve_locked(report: Report, last: CorrectiveAction, now: datetime) -> None:
    """Every action is verified: the report is resolved, by whoever planned the last action."""
    report.status = ReportStatus.RESOLVED
    report.resolved_by = last.planned_by
    report.resolved_at = now
    report.next_escalation_at = None
    fields = ["status", "resolved_by", "resolved_at"]
    verified = CorrectiveAction.objects.filter(report_id=report.pk).count()
    event = event_append(
        report=report,
        kind=EventKind.RESOLVED,
        actor=last.planned_by,
        at=now,
        public=True,
        payload={"resolution": report.resolution, "level": report.escalation_level, "actions_verified": verified},
        fields=fields,
    )
    report.first_answered_at = report.first_answered_at or now
    report.save(update_fields=[*fields, "first_answered_at", "next_escalation_at"])
    notify.notify(event=event, report=report, recipients=_reporter(report))


def action_send_back(*, action_id: int, user: User, reason: str, now: datetime | None = None) -> CorrectiveAction:
    """Not done well enough: back to its owner, to do again. Overdue already, it escalates again from the
    owner."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say what is still missing."), code="required")
    if len(reason) > NOTE_MAX:
        raise ValidationError(_("Keep the reason under 4,000 characters."), code="too_long")
    now = now or timezone.now()
    with transaction.atomic():
        report, action = _lock_action(action_id)
        _judge(report, action, user)
        action.status = ActionStatus.PLANNED
        action.sent_back_count += 1
        action.done_at = None
        action.done_note = ""
        action.escalation_step = 0
        action.escalation_level = 0
        action.next_escalation_at = max(action.due_at, now)
        action.save(
            update_fields=[
                "status",
                "sent_back_count",
                "done_at",
                "done_note",
                "escalation_step",
                "escalation_level",
                "next_escalation_at",
            ]
        )
        event = event_append(
            report=report,
            kind=EventKind.ACTION_SENT_BACK,
            actor=user,
            at=now,
            payload={"action_id": action.pk, "number": action.number, "reason": reason},
        )
        notify.notify(event=event, report=report, recipients=[action.owner], webhook=False)
        dispatch.action_escalation_schedule(action_id=action.pk, step=0, at=action.next_escalation_at)
    return action
