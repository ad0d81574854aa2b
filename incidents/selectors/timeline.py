"""A report's trail as a viewer may read it: one entry per event, in a constant number of queries.

Handlers see every event, who was told of it and when each delivery went out; the reporter sees the
public events (filed, answers to them, acknowledged, resolved). Deliveries (`notified` events) are
folded under the event that caused them. Nobody is named where the viewer may not know them.
"""

from dataclasses import dataclass, field
from datetime import datetime

from accounts.models import User
from incidents import access
from incidents.event_words import event_words
from incidents.models import Channel, Event, EventKind, Notification, Report


@dataclass
class Told:
    """Someone a notification went to, and whether they have read it in the app."""

    name: str
    read_at: datetime | None = None


@dataclass
class TimelineEntry:
    event: Event
    actor: str
    headline: str
    internal: bool
    text: str = ""
    details: list[str] = field(default_factory=list)
    told: list[Told] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)

    @property
    def at(self) -> datetime:
        return self.event.created_at

    @property
    def kind(self) -> str:
        return self.event.kind


def report_timeline(report: Report, viewer: User) -> list[TimelineEntry]:
    """The entries of a report's trail for this viewer: two queries for handlers, one for the reporter."""
    internal = access.sees_internal_events(viewer, report)
    events = Event.objects.filter(report_id=report.pk).select_related("actor").order_by("seq")
    if not internal:
        events = events.filter(public=True)
    notifications: dict[int, Notification] = {}
    if internal:
        notifications = {
            n.pk: n for n in Notification.objects.filter(report_id=report.pk).select_related("recipient").order_by("pk")
        }

    entries: list[TimelineEntry] = []
    by_seq: dict[int, TimelineEntry] = {}
    by_event_id: dict[int, TimelineEntry] = {}
    for event in events:
        if event.kind == EventKind.NOTIFIED:
            payload = event.payload or {}
            parent = by_seq.get(payload.get("because_of", -1))
            line = event_words(event, report, viewer, notifications.get(payload.get("notification", -1))).headline
            if parent is not None:
                parent.deliveries.append(line)
                continue
            entries.append(TimelineEntry(event=event, actor="", headline=line, internal=True))
            continue
        words = event_words(event, report, viewer)
        entry = TimelineEntry(
            event=event,
            actor=access.event_actor_label(event, report, viewer),
            headline=words.headline,
            internal=not event.public,
            text=words.text,
            details=words.details,
        )
        entries.append(entry)
        by_seq[event.seq] = entry
        by_event_id[event.pk] = entry
    for notification in notifications.values():
        entry = by_event_id.get(notification.event_id)
        if entry is not None and notification.channel == Channel.IN_APP and notification.recipient is not None:
            entry.told.append(Told(access.person_label(notification.recipient, report, viewer), notification.read_at))
    return entries
