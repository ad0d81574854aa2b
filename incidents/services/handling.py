"""What handlers and reporters do to a report: acknowledge, resolve, reopen, comment, and the
`viewed` mark. Each locks the report row, checks its state, writes the change and its event
together, and tells the people concerned."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from incidents import access
from incidents.ladder import ladder_for
from incidents.models import (
    Channel,
    CorrectiveAction,
    Event,
    EventKind,
    FirearmFlag,
    Identity,
    Notification,
    Report,
    ReportStatus,
)

from . import dispatch, firearm_flags, notify
from .recipients import Crew
from .trail import event_append


@dataclass(frozen=True)
class AckResult:
    won: bool
    report: Report
    acknowledged_by: User | None
    acknowledged_at: datetime | None


def _lock(report_id: int) -> Report:
    return Report.objects.select_for_update(of=("self",)).select_related("production").get(pk=report_id)


def _reporter_recipients(report: Report) -> list[User]:
    if report.identity == Identity.ANONYMOUS or report.reporter is None or not report.reporter.is_active:
        return []
    return [report.reporter]


def _with_askers(report: Report, recipients: list[User | None], *, answer: Event) -> list[User]:
    """Whom a reporter's comment reaches: those told today (who holds it, or its level) and every handler
    who asked the reporter something here (wrote them a comment), since the answer is theirs; never the
    reporter, nor anyone the report concerns (access.is_conflicted)."""
    chosen = {user.pk: user for user in recipients if user is not None}
    askers = (
        Event.objects.filter(report_id=report.pk, kind=EventKind.COMMENTED, public=True, actor__is_active=True)
        .exclude(pk=answer.pk)
        .exclude(payload__from_reporter=True)
        .exclude(actor_id__in=[*chosen, report.reporter_id] if report.reporter_id else list(chosen))
        .select_related("actor")
        .order_by("seq")
    )
    for event in askers:
        # Only while they may still open the report: someone who has left the production is not sent
        # the reporter's words.
        if access.can_view_report(event.actor, report):
            chosen.setdefault(event.actor_id, event.actor)
    return [user for user in chosen.values() if not access.is_conflicted(user, report)]


def _told_so_far(report: Report, *, exclude: set[int | None]) -> list[User]:
    """The active people any notification of this report went to so far (every level it reached)."""
    told = (
        Notification.objects.filter(report_id=report.pk, recipient__isnull=False, recipient__is_active=True)
        .exclude(recipient_id__in=[pk for pk in exclude if pk is not None])
        .values("recipient_id")
    )
    return list(User.objects.filter(pk__in=told).order_by("pk"))


def report_acknowledge(*, report_id: int, user: User, via: str = "page", now: datetime | None = None) -> AckResult:
    """Acknowledge an open report. Of two handlers at once exactly one wins; the other learns who did."""
    now = now or timezone.now()
    with transaction.atomic():
        report = _lock(report_id)
        if report.status != ReportStatus.OPEN:
            return AckResult(False, report, report.acknowledged_by, report.acknowledged_at)
        ladder = ladder_for(report.production_id)
        if not access.can_acknowledge(user, report, ladder):
            if access.is_conflicted(user, report) and access.is_report_handler(user, report):
                raise PermissionDenied(_("You filed this report or it is about you: someone else must take it."))
            raise PermissionDenied(_("Only a handler this report has reached can acknowledge it."))
        already_told = _told_so_far(report, exclude={user.pk, report.reporter_id})
        report.status = ReportStatus.ACKNOWLEDGED
        report.acknowledged_by = user
        report.acknowledged_at = now
        report.first_answered_at = report.first_answered_at or now
        report.next_escalation_at = ladder.deadline(
            status=ReportStatus.ACKNOWLEDGED, severity=report.severity, level_number=report.escalation_level, now=now
        )
        event = event_append(
            report=report,
            kind=EventKind.ACKNOWLEDGED,
            actor=user,
            at=now,
            public=True,
            payload={
                "level": report.escalation_level,
                "via": via,
                "resolve_by": report.next_escalation_at.isoformat() if report.next_escalation_at else None,
                # Everyone it had reached is told who took it (their deliveries sit under this event).
                "told": [person.pk for person in already_told],
            },
            fields=["status", "acknowledged_by", "acknowledged_at"],
        )
        report.save(
            update_fields=["status", "acknowledged_by", "acknowledged_at", "first_answered_at", "next_escalation_at"]
        )
        # What asked them to act is done: it leaves their inbox, and the news of who took it arrives.
        Notification.objects.filter(
            report_id=report.pk, recipient__in=already_told, channel=Channel.IN_APP, read_at__isnull=True
        ).update(read_at=now)
        notify.notify(event=event, report=report, recipients=_reporter_recipients(report) + already_told, webhook=True)
        dispatch.escalation_schedule(report_id=report.pk, level=report.escalation_level, at=report.next_escalation_at)
    return AckResult(True, report, user, now)


def report_acknowledge_by_link(
    *, notification_id: int, report_id: int, user: User, now: datetime | None = None, via: str = "link"
) -> AckResult | None:
    """Use a notification's acknowledge link (or the code of a text message, via="sms"): claim it (once,
    only by the person it was sent to) and acknowledge its report in one transaction. None when the link
    was already used.

    A refusal (PermissionDenied) rolls the claim back, so the link still works should the report
    come back to this person's level."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Notification.objects.filter(
            pk=notification_id, report_id=report_id, recipient=user, ack_link_used_at__isnull=True
        ).update(ack_link_used_at=now)
        if not claimed:
            return None
        return report_acknowledge(report_id=report_id, user=user, via=via, now=now)


def report_resolve(*, report_id: int, user: User, resolution: str, now: datetime | None = None) -> Report:
    """Close a report with one free-text corrective action and no planned actions (how every report was
    resolved before corrective actions; kept for callers with nothing to plan). The report page plans
    actions instead (`incidents.services.actions.actions_plan`); with an action unverified this refuses."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError(_("Say what was done to fix it."), code="required")
    now = now or timezone.now()
    with transaction.atomic():
        report = _lock(report_id)
        if report.status == ReportStatus.RESOLVED:
            raise ValidationError(_("This report is already resolved."), code="already_resolved")
        ladder = ladder_for(report.production_id)
        if not access.can_resolve(user, report, ladder):
            raise PermissionDenied(_("You cannot resolve this report."))
        if CorrectiveAction.objects.filter(report_id=report.pk).unverified().exists():
            # Planned actions resolve the report themselves, when the last one is verified (services.actions).
            raise ValidationError(
                _("Every corrective action must be verified before this report is resolved."), code="unverified"
            )
        report.status = ReportStatus.RESOLVED
        report.resolved_by = user
        report.resolved_at = now
        report.resolution = resolution
        report.first_answered_at = report.first_answered_at or now
        report.next_escalation_at = None
        event = event_append(
            report=report,
            kind=EventKind.RESOLVED,
            actor=user,
            at=now,
            public=True,
            payload={"resolution": resolution, "level": report.escalation_level},
            fields=["status", "resolved_by", "resolved_at", "resolution"],
        )
        changed = ["status", "resolved_by", "resolved_at", "resolution", "first_answered_at", "next_escalation_at"]
        report.save(update_fields=changed)
        notify.notify(event=event, report=report, recipients=_reporter_recipients(report))
    return report


def report_reopen(*, report_id: int, user: User | None, reason: str, now: datetime | None = None) -> Report:
    """The reporter says it is not fixed: open again at its level with a fresh deadline, and the level
    and whoever resolved it are told. `user` is None for an anonymous reporter with a receipt (the
    caller checked the receipt)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say what is still wrong."), code="required")
    now = now or timezone.now()
    with transaction.atomic():
        report = _lock(report_id)
        if report.status != ReportStatus.RESOLVED:
            raise ValidationError(_("Only a resolved report can be reopened."), code="not_resolved")
        if user is not None and not access.can_reopen(user, report):
            raise PermissionDenied(_("Only the person who filed this report can reopen it."))
        ladder = ladder_for(report.production_id)
        resolved_by = report.resolved_by
        report.status = ReportStatus.OPEN
        report.reopen_count += 1
        report.acknowledged_by = None
        report.acknowledged_at = None
        report.resolved_by = None
        report.resolved_at = None
        report.reminder_count = 0  # "not fixed" is news: at the top, a new run of reminders
        report.next_escalation_at = ladder.deadline(
            status=ReportStatus.OPEN, severity=report.severity, level_number=report.escalation_level, now=now
        )
        previous_resolution, report.resolution = report.resolution, ""
        event = event_append(
            report=report,
            kind=EventKind.REOPENED,
            actor=user if report.identity == Identity.NAMED else None,
            at=now,
            public=True,
            payload={"reason": reason, "level": report.escalation_level, "previous_resolution": previous_resolution},
            fields=[
                "status",
                "reopen_count",
                "acknowledged_by",
                "acknowledged_at",
                "resolved_by",
                "resolved_at",
                "resolution",
                "reminder_count",
            ],
        )
        report.save(
            update_fields=[
                "status",
                "reopen_count",
                "reminder_count",
                "acknowledged_by",
                "acknowledged_at",
                "resolved_by",
                "resolved_at",
                "resolution",
                "next_escalation_at",
            ]
        )
        reach = Crew.of([report.production_id]).level_reach(ladder.level(report.escalation_level), report, ladder)
        recipients = {u.pk: u for u in reach.recipients}
        if resolved_by is not None and not access.is_conflicted(resolved_by, report):
            recipients[resolved_by.pk] = resolved_by
        notify.notify(event=event, report=report, recipients=list(recipients.values()), level=report.escalation_level)
        dispatch.escalation_schedule(report_id=report.pk, level=report.escalation_level, at=report.next_escalation_at)
    return report


def report_comment(
    *, report_id: int, user: User | None, body: str, to_reporter: bool = True, now: datetime | None = None
) -> Event:
    """A comment in the report's thread. `user` None means the anonymous reporter (receipt checked).

    Handlers' comments are shown to the reporter unless marked internal; the reporter's own comments
    always are. The other side is notified."""
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Write a comment first."), code="required")
    if len(body) > 4000:
        raise ValidationError(_("Keep a comment under 4,000 characters."), code="too_long")
    now = now or timezone.now()
    with transaction.atomic():
        report = _lock(report_id)
        # The reporter is never a handler of their own report, whatever their role (access.is_conflicted).
        from_reporter = user is None or (report.reporter_id == user.pk and not access.comments_as_handler(user, report))
        if user is not None and not access.can_comment(user, report, ladder_for(report.production_id)):
            raise PermissionDenied(_("You cannot comment on this report."))
        public = from_reporter or to_reporter
        hide_actor = from_reporter and report.identity != Identity.NAMED
        event = event_append(
            report=report,
            kind=EventKind.COMMENTED,
            actor=None if hide_actor else user,
            at=now,
            public=public,
            payload={"body": body, "from_reporter": from_reporter, "to_reporter": public},
        )
        if from_reporter:
            if report.acknowledged_by_id:
                recipients = [report.acknowledged_by]
            else:
                ladder = ladder_for(report.production_id)
                recipients = Crew.of([report.production_id]).level_recipients(
                    ladder.level(report.escalation_level), report
                )
            recipients = _with_askers(report, recipients, answer=event)
        else:
            recipients = _reporter_recipients(report) if public else []
        notify.notify(event=event, report=report, recipients=[r for r in recipients if r is not None], webhook=False)
        firearm_flags.report_scan(report=report, text=body, source=FirearmFlag.Source.COMMENT, now=now)
    return event


def report_mark_viewed(*, report: Report, user: User, now: datetime | None = None) -> bool:
    """The first time a handler opens a report, the trail says so ("who knew, and when")."""
    if not access.is_report_handler(user, report) or report.reporter_id == user.pk:
        return False
    if Event.objects.filter(report_id=report.pk, kind=EventKind.VIEWED, actor=user).exists():
        return False
    with transaction.atomic():
        locked = _lock(report.pk)
        if Event.objects.filter(report_id=report.pk, kind=EventKind.VIEWED, actor=user).exists():
            return False
        event_append(report=locked, kind=EventKind.VIEWED, actor=user, at=now or timezone.now())
    return True
