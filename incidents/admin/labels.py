"""How the admin shows an event's details: in words, as the report page and the record say them, so a
hidden reporter is never named (no user ids, no raw payload)."""

from django.contrib.auth.models import AnonymousUser

from incidents.access import AnyUser
from incidents.event_words import event_words
from incidents.models import Event, Notification


def event_details(event: Event, viewer: AnyUser | None, notification: Notification | None = None) -> str:
    words = event_words(event, event.report, viewer or AnonymousUser(), notification)
    return " ".join(words.lines(event.get_kind_display()))
