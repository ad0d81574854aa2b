"""Which channels reach each person, read once for a batch of recipients (one query).

The rule, in one place: the in-app inbox always; email when the person has an address; push when one
of their phones turned it on. Below critical, email and push follow the person's choice per severity
(ChannelPreference; without one, every channel they set up). Critical reports and stop-work calls use
every channel the person has set up, whatever they chose: the floor.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from accounts.models import User
from incidents.categories import Severity
from incidents.models import Channel, PushSubscription

# The channels a person may switch off below critical; the inbox always stays on.
CHOOSABLE = (Channel.EMAIL, Channel.PUSH)


@dataclass(frozen=True)
class Reach:
    email: bool
    push: bool
    chosen: dict[str, list[str]]  # severity -> channels, for the severities the person set

    def channels(self, *, severity: str, stop_work: bool = False) -> list[str]:
        """The personal channels of one notification, in-app first."""
        set_up = [Channel.IN_APP]
        if self.email:
            set_up.append(Channel.EMAIL)
        if self.push:
            set_up.append(Channel.PUSH)
        if stop_work or severity == Severity.CRITICAL or severity not in self.chosen:
            return set_up
        wanted = set(self.chosen[severity])
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
            .annotate(push=Exists(PushSubscription.objects.filter(user=OuterRef("pk"))))
        )
        return cls(
            {
                pk: Reach(email=bool(email), push=push, chosen=_clean(by_severity))
                for pk, email, by_severity, push in rows
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
