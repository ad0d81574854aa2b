"""What a notification says, whatever the channel: built from the event, in the recipient's language,
never naming a confidential or anonymous reporter."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from accounts.models import User
from incidents import access
from incidents.formatting import local_datetime
from incidents.ladder import ladder_for, level_words
from incidents.models import Channel, EscalationReason, EventKind, Notification, Report

ACK_SALT = "safetrack.ack-link"
# What asks its recipients to act: their notification carries the acknowledge link (and push button).
ACKNOWLEDGEABLE = (
    EventKind.FILED,
    EventKind.ESCALATED,
    EventKind.REMINDED,
    EventKind.STOP_WORK_CALLED,
    EventKind.REOPENED,
)


@dataclass(frozen=True)
class Message:
    subject: str
    headline: str
    lines: list[str]
    url: str
    ack_url: str | None
    open_for: str
    path: str = ""  # the page, without the site's address (the inbox links it)
    # What the inbox shows under the headline: the words people must read there (a lift's clearance),
    # since its link may lead where they cannot see them.
    inbox_lines: tuple[str, ...] = ()


def ack_token(notification: Notification) -> str:
    return signing.TimestampSigner(salt=ACK_SALT).sign(str(notification.pk))


def ack_token_notification_id(token: str, max_age: int) -> int:
    """The notification id in a signed acknowledge link; raises signing.BadSignature when forged or expired."""
    return int(signing.TimestampSigner(salt=ACK_SALT).unsign(token, max_age=max_age))


def report_url_for(report: Report, recipient: User | None) -> str:
    """Where a notification takes its recipient: the report; for crew told of a stop-work call they
    cannot open (they did not call it), the production page's account of the call, with who to ask."""
    if report.is_stop_work and recipient is not None and not access.can_view_report(recipient, report):
        return f"{report.production.get_absolute_url()}#stop-work-{report.pk}"
    return report.get_absolute_url()


def _actor(notification: Notification) -> str:
    """Who did it, as the recipient may know them (the webhook, a chat channel, knows least)."""
    return access.event_actor_label(notification.event, notification.report, notification.recipient)


def _headline(notification: Notification) -> str:
    event, report = notification.event, notification.report
    payload = event.payload or {}
    kind = event.kind
    if kind == EventKind.ESCALATED:
        if payload.get("reason") == EscalationReason.NOT_RESOLVED:
            return _("Acknowledged but not resolved in time: now at level %(level)s") % {
                "level": payload.get("to_level")
            }
        if payload.get("repeat_of_top"):
            return _("Still not acknowledged: reminder to the top level")
        return _("Not acknowledged in time: escalated to level %(level)s") % {"level": payload.get("to_level")}
    if kind == EventKind.REMINDED:
        return _("Still not acknowledged: reminder %(count)s of %(limit)s") % {
            "count": payload.get("reminder"),
            "limit": payload.get("of"),
        }
    if kind == EventKind.UNANSWERED_AT_TOP:
        return _("Unanswered at the top: nobody acknowledged it after every reminder")
    if kind == EventKind.STOP_WORK_CALLED:
        return _("STOP WORK called")
    if kind == EventKind.STOP_WORK_LIFTED:
        return _("Stop-work lifted")
    if kind == EventKind.FILED:
        if report.repeat_of_id:
            return _("Repeat firearm incident reported")
        return _("New safety report")
    if kind == EventKind.ACKNOWLEDGED:
        if notification.recipient_id is not None and notification.recipient_id == report.reporter_id:
            return _("%(name)s acknowledged your report") % {"name": _actor(notification)}
        # Everyone else it had reached: someone took it, so nobody else needs to.
        return _("%(name)s took this report: no need to acknowledge it") % {"name": _actor(notification)}
    if kind == EventKind.RESOLVED:
        return _("%(name)s resolved your report") % {"name": _actor(notification)}
    if kind == EventKind.REOPENED:
        return _("The reporter says this is not fixed: reopened")
    if kind == EventKind.COMMENTED:
        return _("New comment")
    if kind == EventKind.WARNING_IGNORED:
        return _("A new report says this earlier warning was ignored")
    if kind == EventKind.IDENTITY_REVEALED:
        return _("Your name was revealed to the production's handlers")
    if kind == EventKind.FIREARM_FLAGGED:
        return _("Possible firearm concern found in a report")
    if kind == EventKind.REPEAT_INCIDENT:
        return _("Repeat firearm incident: raised to critical")
    if kind == EventKind.ACTIONS_PLANNED:
        if _own_action_id(notification) is not None:
            return _("A corrective action is yours to do")
        return _("Corrective actions were planned for your report")
    if kind == EventKind.ACTION_DONE:
        return _("A corrective action is done: have it verified")
    if kind == EventKind.ACTION_SENT_BACK:
        return _("Your corrective action was sent back")
    if kind == EventKind.ACTION_ESCALATED:
        if not payload.get("to_level"):
            return _("Your corrective action is overdue")
        return _("A corrective action is overdue: now with level %(level)s") % {"level": payload.get("to_level")}
    return event.get_kind_display()


def _own_action_id(notification: Notification) -> int | None:
    """The corrective action a notification is about, for its recipient: the one its event names, or
    (a plan of several) the first the recipient owns. Its page is where they act; crew who own an
    action cannot open the report itself."""
    payload = notification.event.payload or {}
    if notification.event.kind == EventKind.ACTIONS_PLANNED:
        owned = [a.get("action_id") for a in payload.get("actions", []) if a.get("owner") == notification.recipient_id]
        return owned[0] if owned and notification.recipient_id else None
    return payload.get("action_id") if isinstance(payload.get("action_id"), int) else None


def _detail_line(kind: str, payload: dict[str, object]) -> str | None:
    """What a person wrote with this event. Only the text of that event's kind: an escalation's payload
    also has a `reason`, but it is a code (not_acknowledged), not words to show."""
    key, label = {
        EventKind.COMMENTED: ("body", _("Comment")),
        EventKind.REOPENED: ("reason", _("Reason")),
        EventKind.IDENTITY_REVEALED: ("reason", _("Reason")),
        EventKind.RESOLVED: ("resolution", _("Corrective action")),
        EventKind.STOP_WORK_LIFTED: ("clearance", _("Clearance")),
        EventKind.ACTION_DONE: ("note", _("Evidence")),
        EventKind.ACTION_SENT_BACK: ("reason", _("What is missing")),
        EventKind.ACTION_ESCALATED: ("what", _("Corrective action")),
        EventKind.ACTION_VERIFIED: ("what", _("Corrective action")),
    }.get(kind, ("", ""))
    if kind == EventKind.FIREARM_FLAGGED and payload.get("sentences"):
        return _("It says: %(sentences)s") % {"sentences": " / ".join(f"“{s}”" for s in payload["sentences"])}
    if not key or not payload.get(key):
        return None
    return f"{label}: {payload[key]}"


def message_for(notification: Notification, now: datetime | None = None, language: str | None = None) -> Message:
    """In `language` when given (the inbox page: the language the page is shown in), else the recipient's."""
    recipient = notification.recipient
    language = language or (recipient.language if recipient else settings.LANGUAGE_CODE)
    report = notification.report
    with translation.override(language), timezone.override(report.production.tzinfo):
        now = now or timezone.now()
        headline = _headline(notification)
        subject = (
            f"[SafeTrack] {report.get_severity_display().upper()} · {report.production.name} · "
            f"{headline}: {report.title[:80]}"
        )
        open_for = timesince(report.created_at, now)
        lines = [
            _("Category: %(category)s") % {"category": report.get_category_display()},
            _("Severity: %(severity)s") % {"severity": report.get_severity_display()},
            _("Reported by: %(who)s") % {"who": access.reporter_label(report)},
            _("Open for: %(duration)s") % {"duration": open_for},
            _("Status: %(status)s, %(level)s")
            % {"status": report.get_status_display(), "level": level_words(ladder_for(report.production), report)},
        ]
        if report.location:
            lines.append(_("Where: %(location)s") % {"location": report.location})
        detail = _detail_line(notification.event.kind, notification.event.payload or {})
        inbox_lines: tuple[str, ...] = ()
        if notification.event.kind == EventKind.STOP_WORK_LIFTED:
            lifted = _("Lifted by %(who)s at %(when)s.") % {
                "who": _actor(notification),
                "when": local_datetime(notification.event.created_at, report.production),
            }
            lines.append(lifted)
            inbox_lines = (lifted, detail) if detail else (lifted,)
        if detail:
            lines.append(detail)
        action_id = _own_action_id(notification)
        path = reverse("action_detail", args=[action_id]) if action_id else report_url_for(report, recipient)
        url = settings.SITE_URL + path
        ack_url = None
        if (
            recipient is not None
            # The inbox's rows open the report page, which has the button: no link (nor its check) there.
            and notification.channel != Channel.IN_APP
            and report.status == "open"
            and notification.event.kind in ACKNOWLEDGEABLE
            # Only to someone who may take it (a stop-work call also reaches crew, who may not); this
            # notification itself says the report reached them.
            and access.may_act_on(recipient, report, ladder_for(report.production), notified=True)
        ):
            ack_url = settings.SITE_URL + reverse("report_acknowledge_link", args=[report.pk, ack_token(notification)])
        return Message(
            subject=subject[:250],
            headline=headline,
            lines=lines,
            url=url,
            ack_url=ack_url,
            open_for=open_for,
            path=path,
            inbox_lines=inbox_lines,
        )
