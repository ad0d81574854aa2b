from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from incidents.models import Notification

from . import DeliveryError
from .message import message_for


def send(notification: Notification) -> None:
    recipient = notification.recipient
    if recipient is None or not recipient.email:
        raise DeliveryError("no email address")
    message = message_for(notification)
    context = {"message": message, "report": notification.report, "recipient": recipient}
    with translation.override(recipient.language):
        text = render_to_string("emails/notification-body.txt", context)
        html = render_to_string("emails/notification-body.html", context)
    email = EmailMultiAlternatives(
        subject=message.subject.replace("\n", " "),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
    )
    email.attach_alternative(html, "text/html")
    email.send(fail_silently=False)
