"""Which channels reach each person, read once for a batch of recipients (one query).

The rule, in one place: the in-app inbox always; email when the person has an address; push when one
of their phones turned it on; a text message (SMS) when they verified a mobile number and the server
sends texts, and only for the calls to act (SMS_KINDS: a report filed, escalated, reminded at the top,
unanswered at the top or reopened, a stop-work call and its lifting). Below critical, the channels follow
the person's choice per severity (ChannelPreference; without one, every channel they set up but SMS, which
costs money and is asked for).
Critical reports and stop-work calls use every channel the person has set up, whatever they chose: the
floor.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef

from accounts.models import User
from incidents.categories import Severity
from incidents.models import Channel, EventKind, PhoneNumber, PushSubscription

# The channels a person may switch off below critical; the inbox always stays on.
CHOOSABLE = (Channel.EMAIL, Channel.PUSH, Channel.SMS)
# Below critical, without a choice: every channel set up but SMS (opt-in).
DEFAULT_CHOSEN = (Channel.EMAIL, Channel.PUSH)
# The events worth a text message: those that ask someone to act now, and the end of a stop-work call.
SMS_KINDS = frozenset(
    {
        EventKind.FILED,
        EventKind.ESCALATED,
        EventKind.REOPENED,
        EventKind.REPEAT_INCIDENT,
        EventKind.REMINDED,
        EventKind.UNANSWERED_AT_TOP,
        EventKind.STOP_WORK_CALLED,
        EventKind.STOP_WORK_LIFTED,
    }
)


def sms_configured() -> bool:
    return bool(settings.SMS_ACCOUNT_SID and settings.SMS_AUTH_TOKEN and settings.SMS_FROM_NUMBER)


@dataclass(frozen=True)
class Reach:
    email: bool
    push: bool
    chosen: dict[str, list[str]]  # severity -> channels, for the severities the person set
    sms: bool = False

    def channels(self, *, severity: str, stop_work: bool = False, kind: str | None = None) -> list[str]:
        """The personal channels of one notification (of an event of `kind`), in-app first."""
        set_up = [Channel.IN_APP]
        if self.email:
            set_up.append(Channel.EMAIL)
        if self.push:
            set_up.append(Channel.PUSH)
        if self.sms and kind in SMS_KINDS:
            set_up.append(Channel.SMS)
        if stop_work or severity == Severity.CRITICAL:
            return set_up
        wanted = set(self.chosen.get(severity, DEFAULT_CHOSEN))
        return [channel for channel in set_up if channel == Channel.IN_APP or channel in wanted]


class ContactBook:
    """Reach of a set of people, loaded in one query."""

    def __init__(self, reaches: dict[int, Reach]):
        self._reaches = reaches

    @classmethod
    def of(cls, user_ids: Iterable[int]) -> "ContactBook":
        ids = set(user_ids)
        if not ids:
            return cls({})
        rows = (
            User.objects.filter(pk__in=ids)
            .values_list(
                "pk",
                "email",
                "channel_preference__by_severity",
            )
            .annotate(
                push=Exists(PushSubscription.objects.filter(user=OuterRef("pk"))),
                sms=Exists(PhoneNumber.objects.filter(user=OuterRef("pk"), verified_at__isnull=False)),
            )
        )
        texts = sms_configured()
        return cls(
            {
                pk: Reach(email=bool(email), push=push, chosen=_clean(by_severity), sms=texts and sms)
                for pk, email, by_severity, push, sms in rows
            }
        )

    def reach(self, user: User) -> Reach:
        return self._reaches.get(user.pk) or Reach(email=bool(user.email), push=False, chosen={})


def _clean(by_severity: object) -> dict[str, list[str]]:
    if not isinstance(by_severity, dict):
        return {}
    return {
        severity: [channel for channel in channels if channel in CHOOSABLE]
        for severity, channels in by_severity.items()
        if severity in Severity.values and severity != Severity.CRITICAL and isinstance(channels, list)
    }
