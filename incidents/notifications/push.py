"""Web Push (RFC 8030 with VAPID, RFC 8292; payload encrypted for the browser, RFC 8291) through
pywebpush. One outbox row per person: it is sent when at least one of their phones' push services
accepted it. A push service answering 404 or 410 says that subscription is gone: it is removed.

The payload says what happened and how urgent it is, and where to open it; it never names a
confidential or anonymous reporter (it names no reporter at all) and carries no report text but the title.
"""

import base64
import json
from functools import cache
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from incidents.models import Notification, PushSubscription

from . import DeliveryError, DeliveryRefused
from .message import message_for

GONE = (404, 410)


@cache
def _vapid(private_key: str) -> Vapid02:
    return Vapid02.from_string(private_key)


def vapid_public_key() -> str:
    """The application server key the browser subscribes with (base64url, uncompressed P-256 point)."""
    if not settings.VAPID_PRIVATE_KEY:
        return ""
    raw = _vapid(settings.VAPID_PRIVATE_KEY).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def endpoint_allowed(endpoint: str) -> bool:
    """Push services are the browsers' own (FCM, Mozilla, Apple, Microsoft): never an address of this
    network. An https host ending in one of PUSH_SERVICE_HOSTS, or an origin listed there exactly."""
    parts = urlsplit(endpoint)
    origin = f"{parts.scheme}://{parts.netloc}"
    host = (parts.hostname or "").lower()
    for allowed in settings.PUSH_SERVICE_HOSTS:
        allowed = allowed.lower()
        if "://" in allowed:
            if origin.lower() == allowed.rstrip("/"):
                return True
        elif parts.scheme == "https" and (host == allowed.lstrip(".") or host.endswith("." + allowed.lstrip("."))):
            return True
    return False


def payload_for(notification: Notification) -> dict[str, object]:
    report = notification.report
    recipient = notification.recipient
    message = message_for(notification)
    with translation.override(recipient.language if recipient else settings.LANGUAGE_CODE):
        urgency = report.get_severity_display()
        # The same rule as the email's one-click link (message_for: access.may_act_on).
        acknowledge = _("Acknowledge") if message.ack_url else ""
        title = f"{urgency.upper()} · {message.headline}"
        body = _("%(production)s · #%(number)s %(title)s") % {
            "production": report.production.name,
            "number": report.pk,
            "title": report.title[:120],
        }
    return {
        "title": title[:120],
        "body": body[:240],
        "severity": report.severity,
        "url": message.path,
        "tag": f"report-{report.pk}",
        "report": report.pk,
        "acknowledge": acknowledge,
        "acknowledge_url": reverse("report_acknowledge", args=[report.pk]) if acknowledge else "",
        "acknowledge_link": (message.ack_url or "") if acknowledge else "",
    }


def send(notification: Notification) -> None:
    if not settings.VAPID_PRIVATE_KEY:
        raise DeliveryRefused("push is not configured (VAPID_PRIVATE_KEY is unset)")
    subscriptions = list(PushSubscription.objects.filter(user_id=notification.recipient_id))
    if not subscriptions:
        raise DeliveryRefused("no phone has push notifications turned on any more")
    data = json.dumps(payload_for(notification))
    critical = notification.report.severity == "critical" or notification.report.is_stop_work
    delivered, errors = 0, []
    for subscription in subscriptions:
        if not endpoint_allowed(subscription.endpoint):
            errors.append("push service not allowed")
            continue
        try:
            webpush(
                subscription_info={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=data,
                vapid_private_key=_vapid(settings.VAPID_PRIVATE_KEY),
                vapid_claims={"sub": settings.VAPID_SUBJECT},
                timeout=settings.PUSH_TIMEOUT_SECONDS,
                ttl=settings.PUSH_TTL_SECONDS,
                headers={"Urgency": "high" if critical else "normal"},
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in GONE:
                subscription.delete()  # the browser unsubscribed or the subscription expired
                errors.append(f"subscription gone (HTTP {status})")
            else:
                errors.append(f"push service answered HTTP {status}" if status else f"push failed: {exc}")
        except Exception as exc:  # network errors, timeouts: recorded, retried with the row
            errors.append(f"push service unreachable: {exc.__class__.__name__}")
        else:
            delivered += 1
    if not delivered:
        if not PushSubscription.objects.filter(user_id=notification.recipient_id).exists():
            raise DeliveryRefused("; ".join(errors) + "; no phone left to push to")
        raise DeliveryError("; ".join(errors)[:900])
