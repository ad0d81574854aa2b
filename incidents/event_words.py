"""Putting an event of a report's trail into words, once: the report page's trail, the investigation
record and the admin all say an event this way. People are named only as the viewer may know them."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Role
from incidents import access
from incidents.access import AnyUser
from incidents.categories import Severity
from incidents.formatting import local_clock, local_datetime, payload_datetime
from incidents.models import (
    AcknowledgedVia,
    Channel,
    EscalationReason,
    Event,
    EventKind,
    Factor,
    FirearmFlag,
    Identity,
    Notification,
    Report,
)
from incidents.selectors.last_alert import AlertedWho, alerted_who


@dataclass(frozen=True)
class EventWords:
    """An event in words: a headline (the kind's name, or more precise), what someone typed, details."""

    headline: str
    text: str = ""
    details: list[str] = field(default_factory=list)

    def lines(self, kind_label: str) -> list[str]:
        """Everything past the kind's own name, one sentence a line (the record and the admin)."""
        return [
            *([self.headline] if self.headline != kind_label else []),
            *self.details,
            *([self.text] if self.text else []),
        ]


def event_words(event: Event, report: Report, viewer: AnyUser, notification: Notification | None = None) -> EventWords:
    """The words of one event. A delivery (`notified`) names its channel, who it reached and when, with
    `notification` the row it delivered (None says only the channel)."""
    if event.kind == EventKind.NOTIFIED:
        return EventWords(headline=_delivery_line(event, notification, report, viewer))
    headline, text, details = _describe(event, report)
    return EventWords(headline=headline, text=text, details=details)


def _roles(roles: list[str]) -> str:
    labels = dict(Role.choices)
    return ", ".join(str(labels.get(role, role)) for role in roles)


def _left_out_lines(payload: dict[str, Any], report: Report) -> list[str]:
    """Who the level did not tell, and why, and the levels told instead (services.recipients.Reach).
    The reporter is mentioned only on a named report: elsewhere it would say who filed it."""
    excluded = payload.get("excluded")
    if not isinstance(excluded, list) or not excluded:
        return []
    reasons = {entry.get("reason") for entry in excluded if isinstance(entry, dict)}
    lines = []
    if "concerned" in reasons:
        lines.append(
            _("Not told, because this report concerns them: %(whom)s.")
            % {"whom": access.concerns_label(report) or _("the person it concerns")}
        )
    if "reporter" in reasons and report.identity == Identity.NAMED and report.reporter_id is not None:
        lines.append(_("%(name)s filed it, so is not told as its handler.") % {"name": str(report.reporter)})
    also = payload.get("also_levels")
    if isinstance(also, list) and also:
        lines.append(
            ngettext("Level %(levels)s told instead.", "Levels %(levels)s told instead.", len(also))
            % {"levels": ", ".join(str(number) for number in also)}
        )
    return lines


def _describe(event: Event, report: Report) -> tuple[str, str, list[str]]:
    """(headline, free text typed by someone, details) of any event but a delivery."""
    payload: dict[str, Any] = event.payload or {}
    kind = event.kind
    headline = str(event.get_kind_display())
    text = ""
    details: list[str] = []
    if kind in (EventKind.FILED, EventKind.STOP_WORK_CALLED, EventKind.ESCALATED):
        details.extend(_left_out_lines(payload, report))
    if kind in (EventKind.FILED, EventKind.STOP_WORK_CALLED):
        severity = payload.get("severity")
        if severity in Severity.values:
            details.append(_("Severity: %(severity)s") % {"severity": Severity(severity).label})
        if payload.get("level"):
            details.append(_("Sent to level %(level)s") % {"level": payload["level"]})
        details.extend(nobody_lines(payload))
        if payload.get("everyone"):
            details.append(_("Every member of the production was told at once."))
        if payload.get("live_round"):
            details.append(_("The armorer, the safety coordinator and the producers were told at once."))
        if payload.get("attachments"):
            count = payload["attachments"]
            details.append(ngettext("%(count)s attachment", "%(count)s attachments", count) % {"count": count})
        if payload.get("via") == "email":
            details.append(_("Sent by email to the production's reporting address."))
        if payload.get("saved_on_phone_at"):
            details.append(
                _("Filed late: saved on the phone without signal at %(when)s, sent when the signal came back.")
                % {"when": local_datetime(payload_datetime(payload["saved_on_phone_at"]), report.production)}
            )
    elif kind == EventKind.ESCALATED:
        if payload.get("repeat_of_top"):  # written before reminders were counted (issue 14)
            headline = _("Reminder to the top level")
        else:
            headline = _("Escalated to level %(level)s") % {"level": payload.get("to_level")}
        if payload.get("reason") in EscalationReason.values:
            details.append(str(EscalationReason(payload["reason"]).label))
        details.extend(nobody_lines(payload))
        if payload.get("roles"):
            details.append(_("Now with: %(roles)s") % {"roles": _roles(payload["roles"])})
        if payload.get("deadline"):
            details.append(
                _("Next deadline: %(when)s")
                % {"when": local_datetime(payload_datetime(payload["deadline"]), report.production)}
            )
    elif kind == EventKind.REMINDED:
        # One compact line a reminder: the report page and the record stay short however long it waits.
        headline = _("Reminder %(count)s of %(limit)s to level %(level)s (%(roles)s)") % {
            "count": payload.get("reminder"),
            "limit": payload.get("of"),
            "level": payload.get("level"),
            "roles": _roles(payload.get("roles") or []),
        }
    elif kind == EventKind.UNANSWERED_AT_TOP:
        headline = _("Unanswered at the top: no more reminders")
        if payload.get("alerted"):
            details.extend(_alert_lines(payload))
    elif kind == EventKind.ACKNOWLEDGED:
        if payload.get("via") in AcknowledgedVia.values:
            details.append(_("Acknowledged %(how)s.") % {"how": AcknowledgedVia(payload["via"]).label})
        if isinstance(payload.get("told"), list) and payload["told"]:
            details.append(
                ngettext(
                    "The %(count)s person it had reached was told who took it.",
                    "The %(count)s people it had reached were told who took it.",
                    len(payload["told"]),
                )
                % {"count": len(payload["told"])}
            )
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
        if payload.get("actions_verified"):
            count = payload["actions_verified"]
            details.append(
                ngettext(
                    "Its corrective action was verified.", "All %(count)s corrective actions were verified.", count
                )
                % {"count": count}
            )
    elif kind in ACTION_KINDS:
        headline, text, details = _describe_action(payload, kind, report)
    elif kind == EventKind.REOPENED:
        headline = _("Reopened: not fixed")
        text = str(payload.get("reason", ""))
        if payload.get("previous_resolution"):
            details.append(
                _("Previous corrective action: %(resolution)s") % {"resolution": payload["previous_resolution"]}
            )
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
    elif kind == EventKind.INVESTIGATION_RECORDED:
        headline, text, details = _investigation_words(payload, headline)
    elif kind == EventKind.REPEAT_INCIDENT:
        if payload.get("earlier_report"):
            details.append(_("Repeats report #%(number)s: raised to critical.") % {"number": payload["earlier_report"]})
        elif payload.get("later_report"):
            details.append(_("Repeated by report #%(number)s.") % {"number": payload["later_report"]})
    elif kind == EventKind.ADMIN_CHANGED and payload.get("notifications"):
        count = len(payload["notifications"])
        details.append(
            ngettext(
                "%(count)d failed notification queued again.", "%(count)d failed notifications queued again.", count
            )
            % {"count": count}
        )
    return headline, text, details


def _alert_lines(payload: dict[str, Any]) -> list[str]:
    """What the last safety net did, as it happened: who was alerted (the people are named under the
    event, "Told in the app"), or plainly that nobody could be and what must change."""
    who = alerted_who(payload)
    lines = []
    if who == AlertedWho.ADMINS:
        lines.append(_("The production's admins were alerted."))
    elif who == AlertedWho.SITE_ADMINS:
        lines.append(_("No admin of the production could be told, so the site's administrators were alerted instead."))
    else:
        lines.append(
            _("Nobody could be alerted: the production has no admin who could be told, nor the site an administrator.")
        )
        lines.append(_("An admin must be added to the production (in the admin, on the production's page)."))
    if payload.get("webhook"):
        lines.append(_("The production's chat webhook was told."))
    return lines


def nobody_lines(payload: dict[str, Any]) -> list[str]:
    """The words "Level 3 reaches nobody: went on to level 4", for each level a report passed on its way."""
    nobody = [n for n in payload.get("nobody_at") or [] if isinstance(n, int)]
    lines = []
    for index, number in enumerate(nobody):
        following = nobody[index + 1] if index + 1 < len(nobody) else None
        if number == payload.get("to_level", payload.get("level")):
            lines.append(
                _("Level %(level)s, the top, reaches nobody either: the report is unanswered at the top.")
                % {"level": number}
            )
        else:
            lines.append(
                _("Level %(level)s reaches nobody: went on to level %(next)s.")
                % {"level": number, "next": following or payload.get("to_level", payload.get("level"))}
            )
    return lines


def _investigation_words(payload: dict[str, Any], headline: str) -> tuple[str, str, list[str]]:
    """An investigation's change (incidents.services.investigations): what was written, as written."""
    change = payload.get("change")
    details: list[str] = []
    if change == "statement":
        file = payload.get("file") or {}
        details.append(
            _("Witness statement of %(witness)s: %(name)s (%(type)s, %(size)s bytes, SHA-256 %(sha)s)")
            % {
                "witness": payload.get("witness", ""),
                "name": file.get("name", ""),
                "type": file.get("content_type", ""),
                "size": file.get("size", ""),
                "sha": file.get("sha256", ""),
            }
        )
        return _("Witness statement added"), "", details
    if change == "opened":
        headline = _("Investigation opened")
    elif change == "updated":
        headline = _("Investigation changed")
    whys = payload.get("whys")
    if isinstance(whys, list):
        details += [_("Why %(number)s: %(answer)s") % {"number": n, "answer": why} for n, why in enumerate(whys, 1)]
        if not whys:
            details.append(_("Why chain emptied."))
    if isinstance(payload.get("factors"), list):
        labels = dict(Factor.choices)
        named = [str(labels.get(f, f)) for f in payload["factors"]]
        if payload.get("factors_other"):
            named.append(str(payload["factors_other"]))
        details.append(_("Contributing factors: %(factors)s") % {"factors": ", ".join(named) or "—"})
    elif "factors_other" in payload:
        details.append(_("Other factor: %(factor)s") % {"factor": payload["factors_other"] or "—"})
    if isinstance(payload.get("linked_reports"), list):
        numbers = ", ".join(f"#{n}" for n in payload["linked_reports"]) or "—"
        details.append(_("Linked reports: %(numbers)s") % {"numbers": numbers})
    return headline, str(payload.get("what_happened", "")), details


ACTION_KINDS = (
    EventKind.ACTIONS_PLANNED,
    EventKind.ACTION_DONE,
    EventKind.ACTION_VERIFIED,
    EventKind.ACTION_SENT_BACK,
    EventKind.ACTION_ESCALATED,
)


def _describe_action(payload: dict[str, Any], kind: str, report: Report) -> tuple[str, str, list[str]]:
    """Corrective actions (incidents.services.actions): what was planned, done, verified, sent back, overdue."""
    number = payload.get("number")
    if kind == EventKind.ACTIONS_PLANNED:
        details = []
        for action in payload.get("actions", []):
            details.append(
                _("Action %(number)s: %(what)s. Owner: %(owner)s, due %(due)s. Done means: %(done_means)s")
                % {
                    "number": action.get("number"),
                    "what": action.get("what", ""),
                    "owner": action.get("owner_name") or access.reporter_label(report),
                    "due": action.get("due_on", ""),
                    "done_means": action.get("done_means", ""),
                }
            )
        return str(EventKind.ACTIONS_PLANNED.label), str(payload.get("summary", "")), details
    if kind == EventKind.ACTION_DONE:
        count = len(payload.get("evidence", []))
        details = (
            [
                ngettext("%(count)s photo or document as evidence", "%(count)s photos or documents as evidence", count)
                % {"count": count}
            ]
            if count
            else []
        )
        return _("Corrective action %(number)s done") % {"number": number}, str(payload.get("note", "")), details
    if kind == EventKind.ACTION_VERIFIED:
        return _("Corrective action %(number)s verified") % {"number": number}, "", [str(payload.get("what", ""))]
    if kind == EventKind.ACTION_SENT_BACK:
        return _("Corrective action %(number)s sent back") % {"number": number}, str(payload.get("reason", "")), []
    level = payload.get("to_level")
    headline = (
        _("Corrective action %(number)s overdue: its owner was told") % {"number": number}
        if not level
        else _("Corrective action %(number)s overdue: level %(level)s was told") % {"number": number, "level": level}
    )
    return (
        headline,
        "",
        [_("%(what)s, due %(due)s") % {"what": payload.get("what", ""), "due": payload.get("due_on", "")}],
    )


def _delivery_line(event: Event, notification: Notification | None, report: Report, viewer: AnyUser) -> str:
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
