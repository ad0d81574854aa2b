"""Writes about how a person is reached: the phones that turn push notifications on or off, the mobile
number verified for text messages, and the channels chosen per severity (see incidents.selectors.contacts
for the rule and its floor)."""

import base64
import binascii
import logging
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from incidents.categories import Severity
from incidents.models import ChannelPreference, PhoneNumber, PushSubscription
from incidents.notifications import DeliveryError, DeliveryRefused, sms
from incidents.notifications.push import endpoint_allowed
from incidents.selectors.contacts import CHOOSABLE

logger = logging.getLogger(__name__)

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


# --- a mobile number for text messages ---------------------------------------------------------------------

NUMBER_MAX_TYPED = 32
CODE_DIGITS = 6
# Between two codes for the same person, whatever the rate limit says (it opens when Redis is down).
CODE_INTERVAL = timedelta(seconds=30)


def phone_normalise(raw: str) -> str:
    """A number as typed ("+34 612-345-678", "0034 612 345 678") in E.164 ("+34612345678"), or a
    ValidationError that says what to fix."""
    typed = (raw or "").strip()
    if not typed:
        raise ValidationError(_("Write your mobile number."), code="required")
    if len(typed) > NUMBER_MAX_TYPED:
        raise ValidationError(_("That is too long for a phone number."), code="too_long")
    if not re.fullmatch(r"\+?[0-9 ().\-]+", typed):
        raise ValidationError(
            _("A phone number has only digits, spaces and + - ( ) . Write it again, for example +34 612 345 678."),
            code="characters",
        )
    digits = re.sub(r"[^0-9]", "", typed)
    if typed.startswith("00"):
        digits, typed = digits[2:], "+" + digits[2:]
    if not typed.startswith("+"):
        raise ValidationError(
            _("Start with + and your country code, for example +34 612 345 678 or +1 213 555 0123."),
            code="country",
        )
    if not re.fullmatch(r"[1-9][0-9]{6,14}", digits):
        raise ValidationError(_("That is not a complete mobile number with its country code."), code="length")
    return "+" + digits


def _code_hash(user: User, number: str, code: str) -> str:
    return salted_hmac("safetrack.sms-verify", f"{user.pk}:{number}:{code}", algorithm="sha256").hexdigest()


def phone_code_send(*, user: User, number: str, now: datetime | None = None) -> PhoneNumber:
    """Send a verification code by text to the number a person typed. The number is used for SMS only
    once the code comes back (phone_verify). Asking for a new number replaces the old one."""
    now = now or timezone.now()
    number = phone_normalise(number)
    if PhoneNumber.objects.filter(number=number, verified_at__isnull=False).exclude(user=user).exists():
        raise ValidationError(_("This number is already verified on another SafeTrack account."), code="taken")
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        phone = PhoneNumber.objects.select_for_update().filter(user=user).first()
        if phone is not None and phone.number == number and phone.verified_at is not None:
            raise ValidationError(_("This number is already verified."), code="verified")
        if phone is not None and phone.code_sent_at and now - phone.code_sent_at < CODE_INTERVAL:
            raise ValidationError(_("A code was just sent. Wait a minute before asking for another."), code="wait")
        phone = phone or PhoneNumber(user=user)
        phone.number, phone.verified_at = number, None
        phone.code_hash, phone.code_sent_at, phone.code_tries = _code_hash(user, number, code), now, 0
        phone.save()
    with translation.override(user.language or None):
        body = _("SafeTrack code: %(code)s. It works for %(minutes)s minutes. Nobody will ask you for it.") % {
            "code": code,
            "minutes": settings.SMS_CODE_MAX_AGE_SECONDS // 60,
        }
    try:
        sms.provider_send(to=number, body=body)
    except DeliveryRefused as exc:
        logger.info("verification code to %s refused: %s", phone.masked, exc)
        raise ValidationError(
            _("This number cannot receive text messages from SafeTrack. Check it, or try another."), code="refused"
        ) from None
    except DeliveryError as exc:
        logger.warning("verification code to %s not sent: %s", phone.masked, exc)
        PhoneNumber.objects.filter(pk=phone.pk).update(code_sent_at=None)  # asking again is allowed at once
        raise ValidationError(
            _("The text message could not be sent just now. Try again in a minute."), code="unavailable"
        ) from None
    return phone


def phone_verify(*, user: User, code: str, now: datetime | None = None) -> PhoneNumber:
    """Check the code typed against the one sent; the number is verified when it matches."""
    now = now or timezone.now()
    typed = re.sub(r"[\s-]", "", code or "")
    if not re.fullmatch(rf"[0-9]{{{CODE_DIGITS}}}", typed):
        raise ValidationError(_("The code is the 6 digits in the text message."), code="format")
    with transaction.atomic():
        phone = PhoneNumber.objects.select_for_update().filter(user=user).first()
        if phone is None or not phone.code_hash or phone.code_sent_at is None:
            raise ValidationError(_("Ask for a code first."), code="no_code")
        if now - phone.code_sent_at > timedelta(seconds=settings.SMS_CODE_MAX_AGE_SECONDS):
            raise ValidationError(_("This code has expired. Ask for a new one."), code="expired")
        if phone.code_tries >= settings.SMS_CODE_MAX_TRIES:
            raise ValidationError(_("Too many wrong codes. Ask for a new one."), code="tries")
        if not constant_time_compare(phone.code_hash, _code_hash(user, phone.number, typed)):
            phone.code_tries += 1
            phone.save(update_fields=["code_tries"])
            left = settings.SMS_CODE_MAX_TRIES - phone.code_tries
            if left <= 0:
                said = _("That code is not right. Ask for a new one.")
            else:
                said = ngettext(
                    "That code is not right. You have %(left)d more try.",
                    "That code is not right. You have %(left)d more tries.",
                    left,
                ) % {"left": left}
            wrong = ValidationError(said, code="wrong")
        else:
            wrong = None
            if PhoneNumber.objects.filter(number=phone.number, verified_at__isnull=False).exclude(pk=phone.pk).exists():
                raise ValidationError(_("This number is already verified on another SafeTrack account."), code="taken")
            phone.verified_at, phone.code_hash, phone.code_tries = now, "", 0
            phone.save(update_fields=["verified_at", "code_hash", "code_tries"])
    if wrong is not None:
        raise wrong  # after the commit: the wrong try is counted
    return phone


def phone_remove(*, user: User) -> int:
    removed, _details = PhoneNumber.objects.filter(user=user).delete()
    return removed
