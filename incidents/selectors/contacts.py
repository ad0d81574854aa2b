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
from django.db.models import BooleanField, Exists, OuterRef, Value

from accounts.models import Membership, Production, User
from incidents.categories import Severity
from incidents.ladder import VersionedCache
from incidents.models import Channel, EscalationLevel, EventKind, PhoneNumber, PushSubscription

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


@dataclass(frozen=True)
class _Contact:
    """What the database says reaches a person (the server's SMS setting is applied when read)."""

    email: bool
    push: bool
    chosen: dict[str, list[str]]
    sms: bool

    def reach(self, texts: bool) -> Reach:
        return Reach(email=self.email, push=self.push, chosen=self.chosen, sms=texts and self.sms)


# A production's people's contacts, per process, for its config_version: database triggers bump it when a
# member's (or a person named on its ladder's) email, channel choice, phone number or push subscription
# changes (incidents.config_triggers). Filled as people are told; read-only once stored.
CONTACTS = VersionedCache("contacts")


class ContactBook:
    """Reach of a set of people, loaded in one query."""

    def __init__(self, reaches: dict[int, Reach]):
        self._reaches = reaches

    @classmethod
    def of(cls, user_ids: Iterable[int]) -> "ContactBook":
        texts = sms_configured()
        return cls({pk: contact.reach(texts) for pk, (contact, _) in _contacts_load(set(user_ids)).items()})

    @classmethod
    def of_production(cls, production: Production, user_ids: Iterable[int]) -> "ContactBook":
        """`of`, for people told about one production's report: a warm cache costs no query. Someone who
        is neither a member nor on its ladder (an admin alerted) is read fresh every time: no trigger of
        this production watches them."""
        known: dict[int, _Contact] = CONTACTS.get(production, dict)
        ids = set(user_ids)
        contacts = {pk: known[pk] for pk in ids if pk in known}
        for pk, (contact, watched) in _contacts_load(ids - contacts.keys(), production).items():
            contacts[pk] = contact
            if watched:
                known[pk] = contact
        texts = sms_configured()
        return cls({pk: contact.reach(texts) for pk, contact in contacts.items()})

    def reach(self, user: User) -> Reach:
        return self._reaches.get(user.pk) or Reach(email=bool(user.email), push=False, chosen={})


def _contacts_load(ids: set[int], production: Production | None = None) -> dict[int, tuple[_Contact, bool]]:
    """Each person's contact, and whether `production`'s triggers watch them (a member, or on its ladder)."""
    if not ids:
        return {}
    no = Value(False, output_field=BooleanField())
    member = on_ladder = no
    if production is not None:
        member = Exists(Membership.objects.filter(user=OuterRef("pk"), production_id=production.pk))
        on_ladder = Exists(
            EscalationLevel.people.through.objects.filter(
                user=OuterRef("pk"), escalationlevel__policy__production_id=production.pk
            )
        )
    rows = (
        User.objects.filter(pk__in=ids)
        .values_list("pk", "email", "channel_preference__by_severity")
        .annotate(
            push=Exists(PushSubscription.objects.filter(user=OuterRef("pk"))),
            sms=Exists(PhoneNumber.objects.filter(user=OuterRef("pk"), verified_at__isnull=False)),
            member=member,
            on_ladder=on_ladder,
        )
    )
    return {
        pk: (_Contact(email=bool(email), push=push, chosen=_clean(by_severity), sms=sms), member or on_ladder)
        for pk, email, by_severity, push, sms, member, on_ladder in rows
    }


def _clean(by_severity: object) -> dict[str, list[str]]:
    if not isinstance(by_severity, dict):
        return {}
    return {
        severity: [channel for channel in channels if channel in CHOOSABLE]
        for severity, channels in by_severity.items()
        if severity in Severity.values and severity != Severity.CRITICAL and isinstance(channels, list)
    }
