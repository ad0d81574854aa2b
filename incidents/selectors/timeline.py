"""A report's trail as a viewer may read it: one entry per event, in a constant number of queries.

Handlers see every event, who was told of it and when each delivery went out; the reporter sees the
public events (filed, answers to them, acknowledged, resolved). Deliveries (`notified` events) are
folded under the event that caused them. Nobody is named where the viewer may not know them.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Role, User
from incidents import access
from incidents.categories import Severity
from incidents.formatting import local_clock, local_datetime, payload_datetime
from incidents.models import Channel, EscalationReason, Event, EventKind, FirearmFlag, Notification, Report


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


def _roles(roles: list[str]) -> str:
    labels = dict(Role.choices)
    return ", ".join(str(labels.get(role, role)) for role in roles)


def _describe(event: Event, report: Report) -> tuple[str, str, list[str]]:
    """(headline, free text typed by someone, details) of one event."""
    payload: dict[str, Any] = event.payload or {}
    kind = event.kind
    headline = str(event.get_kind_display())
    text = ""
    details: list[str] = []
    if kind in (EventKind.FILED, EventKind.STOP_WORK_CALLED):
        severity = payload.get("severity")
        if severity in Severity.values:
            details.append(_("Severity: %(severity)s") % {"severity": Severity(severity).label})
        if payload.get("level"):
            details.append(_("Sent to level %(level)s") % {"level": payload["level"]})
        if payload.get("attachments"):
            count = payload["attachments"]
            details.append(ngettext("%(count)s attachment", "%(count)s attachments", count) % {"count": count})
        if payload.get("saved_on_phone_at"):
            details.append(
                _("Filed late: saved on the phone without signal at %(when)s, sent when the signal came back.")
                % {"when": local_datetime(payload_datetime(payload["saved_on_phone_at"]), report.production)}
            )
    elif kind == EventKind.ESCALATED:
        if payload.get("repeat_of_top"):
            headline = _("Reminder to the top level")
        else:
            headline = _("Escalated to level %(level)s") % {"level": payload.get("to_level")}
        if payload.get("reason") in EscalationReason.values:
            details.append(str(EscalationReason(payload["reason"]).label))
        if payload.get("roles"):
            details.append(_("Now with: %(roles)s") % {"roles": _roles(payload["roles"])})
        if payload.get("deadline"):
            details.append(
                _("Next deadline: %(when)s")
                % {"when": local_datetime(payload_datetime(payload["deadline"]), report.production)}
            )
    elif kind == EventKind.ACKNOWLEDGED:
        if payload.get("via") == "link":
            details.append(_("With the link in a notification."))
        if payload.get("resolve_by"):
            details.append(
                _("To be resolved by %(when)s")
                % {"when": local_datetime(payload_datetime(payload["resolve_by"]), report.production)}
            )
    elif kind == EventKind.COMMENTED:
        text = str(payload.get("body", ""))
        if not event.public:
            headline = _("Internal note (handlers only)")
        elif payload.get("from_reporter"):
            headline = _("Comment from the reporter")
    elif kind == EventKind.RESOLVED:
        text = str(payload.get("resolution", ""))
    elif kind == EventKind.REOPENED:
        headline = _("Reopened: not fixed")
        text = str(payload.get("reason", ""))
    elif kind == EventKind.STOP_WORK_LIFTED:
        text = str(payload.get("clearance", ""))
    elif kind == EventKind.IDENTITY_REVEALED:
        text = str(payload.get("reason", ""))
    elif kind == EventKind.WARNING_IGNORED:
        details.append(_("Report #%(number)s says this warning was ignored.") % {"number": payload.get("later_report")})
    elif kind == EventKind.FIREARM_FLAGGED:
        text = "\n".join(f"“{sentence}”" for sentence in payload.get("sentences", []))
        source = payload.get("source")
        if source in FirearmFlag.Source.values:
            details.append(
                _("Found in %(where)s; the armorer and the safety coordinator were told.")
                % {"where": FirearmFlag.Source(source).label}
            )
    elif kind in (EventKind.FIREARM_CONFIRMED, EventKind.FIREARM_CLEARED):
        text = str(payload.get("reason", ""))
    elif kind == EventKind.REPEAT_INCIDENT:
        if payload.get("earlier_report"):
            details.append(_("Repeats report #%(number)s: raised to critical.") % {"number": payload["earlier_report"]})
        elif payload.get("later_report"):
            details.append(_("Repeated by report #%(number)s.") % {"number": payload["later_report"]})
    return headline, text, details


def _delivery_line(event: Event, notification: Notification | None, report: Report, viewer: User) -> str:
    channel = (event.payload or {}).get("channel", "")
    labels = dict(Channel.choices)
    when = local_clock(event.created_at, report.production)
    if notification is not None and notification.recipient is not None:
        who = access.person_label(notification.recipient, report, viewer)
        return _("%(channel)s delivered to %(who)s at %(when)s") % {
            "channel": labels.get(channel, channel),
            "who": who,
            "when": when,
        }
    return _("%(channel)s delivered at %(when)s") % {"channel": labels.get(channel, channel), "when": when}


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
            line = _delivery_line(event, notifications.get(payload.get("notification", -1)), report, viewer)
            if parent is not None:
                parent.deliveries.append(line)
                continue
            entries.append(TimelineEntry(event=event, actor="", headline=line, internal=True))
            continue
        headline, text, details = _describe(event, report)
        entry = TimelineEntry(
            event=event,
            actor=access.event_actor_label(event, report, viewer),
            headline=headline,
            internal=not event.public,
            text=text,
            details=details,
        )
        entries.append(entry)
        by_seq[event.seq] = entry
        by_event_id[event.pk] = entry
    for notification in notifications.values():
        entry = by_event_id.get(notification.event_id)
        if entry is not None and notification.channel == Channel.IN_APP and notification.recipient is not None:
            entry.told.append(Told(access.person_label(notification.recipient, report, viewer), notification.read_at))
    return entries
