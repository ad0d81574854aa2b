"""Text messages (SMS) through a provider with Twilio's REST API shape, over `requests` (a small adapter
of our own: one POST to send, one HMAC to check a reply; see README, Dependencies).

    POST {SMS_PROVIDER_URL}/2010-04-01/Accounts/{SMS_ACCOUNT_SID}/Messages.json
         basic auth (account SID, auth token), form fields To, From, Body -> 201 {"sid": ...}

A 4xx answer (a number that cannot receive texts, an unsubscribed one) will not change by trying again:
the row fails at once. 429, 5xx and network errors are retried with the row's backoff.

Replies come back to our webhook signed by the provider: X-Twilio-Signature is the base64 HMAC-SHA1, keyed
with the auth token, of the full URL followed by every POST parameter's name and value, sorted by name.

Each production may send at most `sms_monthly_cap` messages a calendar month (its time zone): a slot is
taken before each send (a conditional UPDATE, so two workers never pass the cap) and given back when the
send fails. Past the cap the row fails with the reason; the other channels are untouched.

The text says what and how urgent, the production, the report's number and title, the address, and the
code to reply with; it never names a reporter (confidential and anonymous ones included).
"""

import base64
import hashlib
import hmac
from collections.abc import Iterable
from datetime import date, datetime

import requests
from django.conf import settings
from django.db.models import F
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.models import Production
from incidents import access
from incidents.ladder import ladder_for
from incidents.models import Notification, PhoneNumber, SmsMonthCount
from incidents.selectors.contacts import sms_configured

from . import DeliveryError, DeliveryRefused
from .message import message_for

ACK_CODE_SALT = "safetrack.sms-ack-code"
MAX_LENGTH = 320  # two SMS segments at most


def configured() -> bool:
    return sms_configured()


# --- the provider --------------------------------------------------------------------------------------


def provider_send(*, to: str, body: str) -> str:
    """Send one text; returns the provider's message id. DeliveryRefused when retrying cannot help."""
    if not configured():
        raise DeliveryRefused("text messages are not configured (SMS_ACCOUNT_SID, SMS_AUTH_TOKEN, SMS_FROM_NUMBER)")
    url = f"{settings.SMS_PROVIDER_URL.rstrip('/')}/2010-04-01/Accounts/{settings.SMS_ACCOUNT_SID}/Messages.json"
    try:
        response = requests.post(
            url,
            data={"To": to, "From": settings.SMS_FROM_NUMBER, "Body": body},
            auth=(settings.SMS_ACCOUNT_SID, settings.SMS_AUTH_TOKEN),
            timeout=settings.SMS_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"SMS provider unreachable: {exc.__class__.__name__}") from None
    if response.status_code in (200, 201):
        try:
            return str(response.json().get("sid", ""))
        except ValueError:
            return ""
    detail = _provider_error(response)
    if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
        raise DeliveryRefused(f"SMS provider refused the message (HTTP {response.status_code}{detail})")
    raise DeliveryError(f"SMS provider answered HTTP {response.status_code}{detail}")


def _provider_error(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    code, message = data.get("code"), str(data.get("message") or "")[:200]
    return f": {code} {message}".rstrip() if code or message else ""


def signature(*, url: str, params: Iterable[tuple[str, str]], token: str) -> str:
    """The provider's signature of a request: base64(HMAC-SHA1(token, url + name1value1name2value2...)),
    names sorted, and a name sent more than once with each of its distinct values, sorted (as Twilio's
    own validators do)."""
    values: dict[str, set[str]] = {}
    for name, value in params:
        values.setdefault(name, set()).add(value)
    signed = url + "".join(f"{name}{value}" for name in sorted(values) for value in sorted(values[name]))
    return base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def signature_valid(*, url: str, params: Iterable[tuple[str, str]], header: str) -> bool:
    if not (configured() and header):
        return False
    expected = signature(url=url, params=params, token=settings.SMS_AUTH_TOKEN)
    return hmac.compare_digest(expected.encode(), header.strip().encode())


# --- what a message says ---------------------------------------------------------------------------------


def ack_code(notification_id: int) -> str:
    """The 6 digits a person replies with to acknowledge from their phone (one per message, unguessable
    without the server's secret; only ever looked up among the messages sent to that person's number)."""
    digest = salted_hmac(ACK_CODE_SALT, str(notification_id), algorithm="sha256").digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def text_for(notification: Notification) -> str:
    report = notification.report
    recipient = notification.recipient
    message = message_for(notification)
    with translation.override(recipient.language if recipient else settings.LANGUAGE_CODE):
        head = f"SafeTrack {report.get_severity_display().upper()}: {message.headline}"
        what = f"{report.production.name} #{report.pk} {report.title[:80]}"
        parts = [head, what]
        if (
            message.ack_url
            and recipient is not None
            and access.can_acknowledge(recipient, report, ladder_for(report.production_id))
        ):
            parts.append(_("Reply ACK %(code)s to acknowledge.") % {"code": ack_code(notification.pk)})
        parts.append(message.url)
    text = "\n".join(parts)
    return text if len(text) <= MAX_LENGTH else "\n".join([head[:120], what[:100], *parts[2:]])[:MAX_LENGTH]


# --- the monthly cap ----------------------------------------------------------------------------------------


def month_of(production: Production, now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), production.tzinfo).date().replace(day=1)


def sent_this_month(production: Production, now: datetime | None = None) -> int:
    row = SmsMonthCount.objects.filter(production=production, month=month_of(production, now)).first()
    return row.sent if row else 0


def _cap_take(production: Production) -> date | None:
    """Take one of this month's slots; the month taken, or None when the cap is reached."""
    month = month_of(production)
    SmsMonthCount.objects.get_or_create(production=production, month=month)
    taken = SmsMonthCount.objects.filter(
        production=production, month=month, sent__lt=production.sms_monthly_cap
    ).update(sent=F("sent") + 1)
    return month if taken else None


def _cap_give_back(production: Production, month: date) -> None:
    SmsMonthCount.objects.filter(production=production, month=month, sent__gt=0).update(sent=F("sent") - 1)


def send(notification: Notification) -> None:
    if not configured():
        raise DeliveryRefused("text messages are not configured on this server")
    phone = PhoneNumber.objects.filter(user_id=notification.recipient_id, verified_at__isnull=False).first()
    if phone is None:
        raise DeliveryRefused("the person has no verified mobile number any more")
    production = notification.report.production
    month = _cap_take(production)
    if month is None:
        raise DeliveryRefused(
            f"monthly cap reached: {production.sms_monthly_cap} text messages this month for this production "
            "(not sent; email and push still go)"
        )
    try:
        provider_send(to=phone.number, body=text_for(notification))
    except Exception:
        _cap_give_back(production, month)
        raise
