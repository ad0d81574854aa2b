"""Email: a plain-text and an HTML part from templates/emails/, in the recipient's language and the
production's time zone. A message sent again after a worker died mid-send keeps its Message-ID, so
mail clients show it once."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from incidents.models import Notification

from . import DeliveryError
from .message import message_for


def message_id(notification: Notification) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "safetrack.invalid"
    return f"<notification-{notification.pk}.{int(notification.created_at.timestamp())}@{host}>"


def send(notification: Notification) -> None:
    recipient = notification.recipient
    if recipient is None or not recipient.email:
        raise DeliveryError("no email address")
    report = notification.report
    message = message_for(notification)
    context = {"message": message, "report": report, "production": report.production, "recipient": recipient}
    with translation.override(recipient.language), timezone.override(report.production.tzinfo):
        text = render_to_string("emails/notification-body.txt", context)
        html = render_to_string("emails/notification-body.html", context)
    email = EmailMultiAlternatives(
        # A title can hold any character a form let through; a header cannot hold a line break.
        subject=" ".join(message.subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={
            "Message-ID": message_id(notification),
            "X-SafeTrack-Notification": str(notification.pk),
            "Auto-Submitted": "auto-generated",  # no out-of-office replies (RFC 3834)
        },
    )
    email.attach_alternative(html, "text/html")
    email.send(fail_silently=False)
