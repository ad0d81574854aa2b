"""Revealing a confidential reporter's name: rare, deliberate, recorded, and told to the reporter."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from incidents import access
from incidents.models import EventKind, Identity, Report

from . import notify
from .trail import event_append

REASON_MAX_LENGTH = 2000


def identity_reveal(*, report_id: int, user: User, reason: str, now: datetime | None = None) -> Report:
    """Show a confidential reporter's name to the production's handlers from now on.

    Only the production's safety coordinator or an admin may do it (`access.can_reveal_identity`), with a
    reason; the trail records who, when and why, and the reporter is told (never the webhook: a chat
    channel must not learn the name)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the name must be revealed."), code="required")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            _("Keep the reason under %(limit)s characters.") % {"limit": REASON_MAX_LENGTH}, code="too_long"
        )
    now = now or timezone.now()
    with transaction.atomic():
        report = (
            Report.objects.select_for_update(of=("self",)).select_related("production", "reporter").get(pk=report_id)
        )
        if report.identity != Identity.CONFIDENTIAL:
            raise ValidationError(_("Only a confidential report has a name to reveal."), code="not_confidential")
        if report.revealed_at is not None:
            raise ValidationError(_("This reporter's name was already revealed."), code="already_revealed")
        if not access.can_reveal_identity(user, report):
            raise PermissionDenied(_("Only the production's safety coordinator or an admin can reveal a name."))
        report.revealed_at = now
        event = event_append(
            report=report,
            kind=EventKind.IDENTITY_REVEALED,
            actor=user,
            at=now,
            public=True,
            payload={"reason": reason},
            fields=["revealed_at"],
        )
        report.save(update_fields=["revealed_at"])
        recipients = [report.reporter] if report.reporter is not None and report.reporter.is_active else []
        notify.notify(event=event, report=report, recipients=recipients, webhook=False)
    return report
