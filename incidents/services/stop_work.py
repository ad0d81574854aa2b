"""Stop-work calls: any member stops the production; only a producer-level handler lifts it.

A call is a critical report of category stop-work filed through `report_file`, which starts it at the
top level and notifies every level at once; escalation past the top repeats the top level at its
interval until someone acknowledges. Acknowledging is not lifting: the production stays stopped (the
red banner stays) until a producer-level handler lifts it with a clearance note.
"""

import uuid
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Production, User
from incidents import access
from incidents.categories import Category, Severity
from incidents.models import EventKind, Identity, Notification, Report, ReportStatus

from . import notify
from .filing import ReportDraft, report_file
from .trail import event_append

REASON_MAX_LENGTH = 200
CLEARANCE_MAX_LENGTH = 4000


def stop_work_call(
    *,
    production: Production,
    caller: User | None,
    reason: str,
    details: str = "",
    location: str = "",
    identity: str = Identity.NAMED,
    receipt_hash: str | None = None,
    idempotency_key: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Report:
    """Call stop-work on a production. `caller` None (or identity anonymous) files it anonymously; the
    caller's identity then follows the identity choice like any other report. A repeat of the same call
    (same `idempotency_key`) returns the first call and alerts nobody again."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Say in a few words why work must stop."), code="required")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            _("Keep the reason under %(limit)s characters; add the rest below.") % {"limit": REASON_MAX_LENGTH},
            code="too_long",
        )
    now = now or timezone.now()
    draft = ReportDraft(
        category=Category.STOP_WORK,
        severity=Severity.CRITICAL,
        title=reason,
        description=(details or "").strip() or reason,
        occurred_at=now,
        location=(location or "").strip(),
        identity=identity,
        idempotency_key=idempotency_key,
    )
    return report_file(production=production, reporter=caller, draft=draft, receipt_hash=receipt_hash, now=now)


def stop_work_lift(*, report_id: int, user: User, clearance_note: str, now: datetime | None = None) -> Report:
    """Lift a stop-work call: the clearance note says what was checked and by whom.

    Lifting also closes the call (it is resolved with the clearance as its corrective action), so the top
    level stops being reminded; the caller may still reopen it like any report. Everyone who was told of
    the call, and the caller, is told it was lifted."""
    clearance_note = (clearance_note or "").strip()
    if not clearance_note:
        raise ValidationError(_("Write what was checked, and by whom, before work resumes."), code="required")
    if len(clearance_note) > CLEARANCE_MAX_LENGTH:
        raise ValidationError(
            _("Keep the clearance note under %(limit)s characters.") % {"limit": CLEARANCE_MAX_LENGTH},
            code="too_long",
        )
    now = now or timezone.now()
    with transaction.atomic():
        report = Report.objects.select_for_update(of=("self",)).select_related("production").get(pk=report_id)
        if not report.is_stop_work:
            raise ValidationError(_("This report is not a stop-work call."), code="not_stop_work")
        if report.lifted_at is not None:
            raise ValidationError(_("This stop-work call was already lifted."), code="already_lifted")
        if not access.can_lift_stop_work(user, report):
            raise PermissionDenied(_("Only a producer or someone above can lift a stop-work call."))
        was_resolved = report.status == ReportStatus.RESOLVED
        report.lifted_at = now
        report.lifted_by = user
        report.clearance_note = clearance_note
        fields = ["lifted_at", "lifted_by", "clearance_note"]
        if not was_resolved:
            report.status = ReportStatus.RESOLVED
            report.resolved_by = user
            report.resolved_at = now
            report.resolution = clearance_note
            report.next_escalation_at = None
            fields += ["status", "resolved_by", "resolved_at", "resolution", "next_escalation_at"]
        event = event_append(
            report=report,
            kind=EventKind.STOP_WORK_LIFTED,
            actor=user,
            at=now,
            public=True,
            payload={"clearance": clearance_note, "resolved": not was_resolved, "level": report.escalation_level},
            fields=[name for name in fields if name != "next_escalation_at"],
        )
        report.save(update_fields=fields)
        notify.notify(event=event, report=report, recipients=_told_of_the_call(report, lifter=user))
    return report


def _told_of_the_call(report: Report, *, lifter: User) -> list[User]:
    """Everyone notified about this call (at the call or a reminder since), and the caller; not the lifter."""
    recipient_ids = set(
        Notification.objects.filter(report=report, recipient__isnull=False).values_list("recipient_id", flat=True)
    )
    if report.identity != Identity.ANONYMOUS and report.reporter_id:
        recipient_ids.add(report.reporter_id)
    recipient_ids.discard(lifter.pk)
    return list(User.objects.filter(pk__in=recipient_ids, is_active=True).order_by("pk"))
