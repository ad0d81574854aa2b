"""A text message sent back to SafeTrack's number (the provider's webhook, already checked for its
signature): "ACK <code>" from a verified number acknowledges the report of the message with that code,
as that number's person, through the same checks as the report page (services.handling, incidents.access).

A number nobody verified gets no answer and changes nothing. The answer to a known number says what
happened, in that person's language, and never names a confidential or anonymous reporter."""

import logging
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from incidents import access
from incidents.models import AcknowledgedVia, Channel, Notification, PhoneNumber, ReportStatus
from incidents.notifications.sms import ack_code

from .handling import report_acknowledge_by_link

logger = logging.getLogger(__name__)

ACK = re.compile(r"\s*ack\W{0,3}([0-9]{6})\W*", re.IGNORECASE)
# How many of a person's recent texts a code is looked up among.
CANDIDATES = 200


def _texted(user_id: int, code: str, now: datetime) -> Notification | None:
    """The text with this code sent to this person (its code may be used, its report may have moved on)."""
    recent = (
        Notification.objects.filter(
            recipient_id=user_id,
            channel=Channel.SMS,
            status=Notification.Status.SENT,
            created_at__gte=now - timedelta(seconds=settings.ACK_LINK_MAX_AGE_SECONDS),
        )
        .order_by("-pk")
        .values_list("pk", flat=True)[:CANDIDATES]
    )
    for notification_id in recent:
        if constant_time_compare(ack_code(notification_id), code):
            return Notification.objects.select_related("report__production").get(pk=notification_id)
    return None


def sms_reply_receive(*, from_number: str, body: str, now: datetime | None = None) -> str:
    """Act on a reply; returns the text to answer with ("" for none)."""
    now = now or timezone.now()
    phone = (
        PhoneNumber.objects.filter(number=(from_number or "").strip(), verified_at__isnull=False)
        .select_related("user")
        .first()
    )
    if phone is None or not phone.user.is_active:
        logger.info("text from a number nobody verified: ignored")
        return ""
    user = phone.user
    with translation.override(user.language or None):
        match = ACK.fullmatch(body or "")
        if match is None:
            return _("To acknowledge a report, reply ACK and the 6 digits in its message, for example ACK 123456.")
        notification = _texted(user.pk, match[1], now)
        if notification is None:
            return _("No open report is waiting for that code. Open SafeTrack to see where things stand.")
        report = notification.report
        refusal = access.ack_link_refusal(user, notification, report.pk)
        if refusal == access.AckLinkRefusal.USED:
            return _("That code was already used.")
        if refusal is not None:
            return _("No open report is waiting for that code. Open SafeTrack to see where things stand.")
        try:
            result = report_acknowledge_by_link(
                notification_id=notification.pk, report_id=report.pk, user=user, now=now, via=AcknowledgedVia.SMS
            )
        except PermissionDenied:
            return _("You cannot acknowledge report #%(number)s at the level it has reached.") % {"number": report.pk}
        if result is None:
            return _("That code was already used.")
        if result.won:
            return _("Acknowledged report #%(number)s: it stops climbing. Resolve it in SafeTrack.") % {
                "number": report.pk
            }
        if result.report.status == ReportStatus.ACKNOWLEDGED and result.acknowledged_by is not None:
            return _("%(name)s acknowledged report #%(number)s first.") % {
                "name": access.person_label(result.acknowledged_by, result.report, user),
                "number": report.pk,
            }
        return _("Report #%(number)s is already resolved.") % {"number": report.pk}
