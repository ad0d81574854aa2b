"""Writes about how a person is reached: the phones that turn push notifications on or off, and the
channels chosen per severity (see incidents.selectors.contacts for the rule and its floor)."""

import base64
import binascii

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from incidents.categories import Severity
from incidents.models import ChannelPreference, PushSubscription
from incidents.notifications.push import endpoint_allowed
from incidents.selectors.contacts import CHOOSABLE

P256DH_BYTES = 65  # an uncompressed P-256 point
AUTH_BYTES = 16


def _decoded_length(value: str) -> int:
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError):
        return -1


def push_subscribe(*, user: User, endpoint: str, p256dh: str, auth: str, device: str = "") -> PushSubscription:
    """Turn push on for one phone's browser. The same browser subscribing again (or after another person
    used it) replaces the row: a subscription belongs to whoever turned it on last."""
    endpoint, p256dh, auth = (endpoint or "").strip(), (p256dh or "").strip(), (auth or "").strip()
    if len(endpoint) > 1000 or not endpoint_allowed(endpoint):
        raise ValidationError(_("This browser's push service is not one SafeTrack can use."), code="endpoint")
    if _decoded_length(p256dh) != P256DH_BYTES or _decoded_length(auth) != AUTH_BYTES:
        raise ValidationError(_("This browser sent keys SafeTrack cannot use."), code="keys")
    with transaction.atomic():
        subscription, _created = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={"user": user, "p256dh": p256dh, "auth": auth, "device": (device or "")[:200]},
        )
    return subscription


def push_unsubscribe(*, user: User, subscription_id: int | None = None, endpoint: str | None = None) -> int:
    """Turn push off for one of the person's phones; returns how many were removed (0 if not theirs)."""
    subscriptions = PushSubscription.objects.filter(user=user)
    if subscription_id is not None:
        subscriptions = subscriptions.filter(pk=subscription_id)
    elif endpoint:
        subscriptions = subscriptions.filter(endpoint=endpoint)
    else:
        return 0
    removed, _details = subscriptions.delete()
    return removed


def channels_choose(*, user: User, by_severity: dict[str, list[str]]) -> ChannelPreference:
    """Keep the channels chosen for the severities below critical (critical always uses every channel)."""
    clean = {
        severity: sorted({channel for channel in channels if channel in CHOOSABLE})
        for severity, channels in by_severity.items()
        if severity in Severity.values and severity != Severity.CRITICAL
    }
    preference, _created = ChannelPreference.objects.update_or_create(user=user, defaults={"by_severity": clean})
    return preference
