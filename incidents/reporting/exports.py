"""Exports for handlers and investigators: the filtered queue as CSV, and one report's investigation
record (every field, the attachments, the whole trail with its chain verified) that the HTML page and
the PDF both render.

Identities are hidden exactly as on the pages: the reporter always goes through
`access.reporter_label`, and a confidential or anonymous reporter's own trail events and
notifications through `access.person_label` / `access.event_actor_label`.
"""

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import Department, Production, User
from incidents import access
from incidents.categories import Category, Severity
from incidents.event_words import event_words
from incidents.formatting import filename_stamp, local_stamp
from incidents.ladder import ladder_for, level_words
from incidents.models import (
    ActionStatus,
    Ammunition,
    CorrectiveAction,
    Event,
    Identity,
    Notification,
    Report,
    ReportStatus,
)
from incidents.reporting.armory_evidence import armory_sections
from incidents.reporting.csv_safety import csv_safe
from incidents.reporting.record_investigation import investigation_sections
from incidents.reporting.record_parts import RecordField, RecordSection
from incidents.selectors.dashboard import reports_for_export
from incidents.trail import TrailCheck, verify_trail

CSV_COLUMNS = [
    gettext_lazy("Report"),
    gettext_lazy("Filed"),
    gettext_lazy("Category"),
    gettext_lazy("Severity"),
    gettext_lazy("Status"),
    gettext_lazy("Escalation level"),
    gettext_lazy("Deadline"),
    gettext_lazy("Deadline passed"),
    gettext_lazy("Title"),
    gettext_lazy("Department"),
    gettext_lazy("Location"),
    gettext_lazy("Reported by"),
    gettext_lazy("Identity"),
    gettext_lazy("Acknowledged by"),
    gettext_lazy("Acknowledged"),
    gettext_lazy("Resolved by"),
    gettext_lazy("Resolved"),
    gettext_lazy("Times reopened"),
    gettext_lazy("Corrective actions verified"),
    gettext_lazy("Corrective actions overdue"),
    gettext_lazy("Link"),
]


def csv_header(production: Production) -> list[str]:
    """Column names; the time columns say which time zone they are in."""
    zone = production.timezone
    timed = {str(gettext_lazy("Filed")), str(gettext_lazy("Deadline")), str(gettext_lazy("Acknowledged"))}
    timed.add(str(gettext_lazy("Resolved")))
    return [f"{c} ({zone})" if str(c) in timed else str(c) for c in CSV_COLUMNS]


class CsvRows:
    """Turns reports into CSV rows, with the choice labels, the yes/no words and the link pattern
    translated once per export rather than per cell (10,000 rows otherwise spend most of their time
    in gettext)."""

    def __init__(self, *, production: Production, viewer: User, now: datetime):
        self.production, self.viewer, self.now = production, viewer, now
        self.labels = {
            name: {value: str(label) for value, label in choices}
            for name, choices in (
                ("category", Category.choices),
                ("severity", Severity.choices),
                ("status", ReportStatus.choices),
                ("department", Department.choices),
                ("identity", Identity.choices),
            )
        }
        self.yes, self.no = _("yes"), _("no")
        sentinel = 987654321
        self.link = settings.SITE_URL + reverse("report_detail", args=[sentinel]).replace(str(sentinel), "{}")

    def row(self, report: Report) -> list[str]:
        production, viewer, labels = self.production, self.viewer, self.labels
        cells: list[Any] = [
            report.pk,
            local_stamp(report.created_at, production),
            labels["category"].get(report.category, report.category),
            labels["severity"].get(report.severity, report.severity),
            labels["status"].get(report.status, report.status),
            report.escalation_level,
            local_stamp(report.next_escalation_at, production),
            self.yes if report.next_escalation_at and report.next_escalation_at < self.now else self.no,
            report.title,
            labels["department"].get(report.department, ""),
            report.location,
            access.reporter_label(report, viewer),
            labels["identity"].get(report.identity, report.identity),
            access.person_label(report.acknowledged_by, report, viewer),
            local_stamp(report.acknowledged_at, production),
            access.person_label(report.resolved_by, report, viewer),
            local_stamp(report.resolved_at, production),
            report.reopen_count,
            f"{report.actions_verified}/{report.actions_total}" if report.actions_total else "",
            report.actions_overdue if report.actions_total else "",
            self.link.format(report.pk),
        ]
        return [csv_safe(cell) for cell in cells]


class _Line:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def queue_csv(*, production: Production, viewer: User, filters: dict[str, Any], now: datetime) -> Iterator[str]:
    """The filtered queue, every matching report, as CSV lines (UTF-8 with a BOM so spreadsheets read
    accents right)."""
    writer = csv.writer(_Line())
    rows = CsvRows(production=production, viewer=viewer, now=now)
    yield "\ufeff" + writer.writerow([csv_safe(c) for c in csv_header(production)])
    for report in reports_for_export(production, filters):
        yield writer.writerow(rows.row(report))


def csv_filename(production: Production, now: datetime) -> str:
    stamp = filename_stamp(now, production)
    return f"safetrack-{production.pk}-queue-{stamp}.csv"


# --- the investigation record --------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentLine:
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded: str


@dataclass(frozen=True)
class TrailLine:
    seq: int
    at: str
    what: str
    who: str
    details: list[str]
    notified: list[str]
    hash: str
    prev_hash: str
    broken: bool


@dataclass(frozen=True)
class InvestigationRecord:
    report: Report
    production: Production
    title: str
    generated_at: str
    generated_by: str
    sections: list[RecordSection]
    attachments: list[AttachmentLine]
    trail: list[TrailLine]
    check: TrailCheck
    check_text: str


RECORD_RELATED = ("production", "reporter", "acknowledged_by", "resolved_by", "lifted_by", "repeat_of")


def _yes_no(value: bool | None) -> str:
    if value is None:
        return _("not said")
    return _("yes") if value else _("no")


def _sections(report: Report, viewer: User) -> list[RecordSection]:
    production = report.production

    def when(value: datetime | None) -> str:
        return local_stamp(value, production, zone=True)

    def f(label: str, value: object, long: bool = False) -> RecordField:
        return RecordField(label, "" if value is None else str(value), long)

    concern = [
        f(_("Production"), production.name),
        f(_("Category"), report.get_category_display()),
        f(_("Severity"), report.get_severity_display()),
        f(_("Title"), report.title),
        f(_("What happened"), report.description, long=True),
        f(_("When it happened"), when(report.occurred_at)),
        f(_("Where"), report.location),
        f(_("Department"), report.get_department_display()),
        f(_("Anyone hurt"), _yes_no(report.injuries)),
        f(_("Injuries"), report.injury_description, long=True),
        f(_("Witnesses"), report.witnesses, long=True),
    ]
    if report.is_firearm or report.weapon or report.ammunition:
        concern += [
            f(_("Weapon"), report.weapon),
            f(_("Ammunition"), Ammunition(report.ammunition).label if report.ammunition else ""),
            f(_("Armorer present"), _yes_no(report.armorer_present)),
        ]
    reporter = [
        f(_("Reported by"), access.reporter_label(report, viewer)),
        f(_("Identity"), report.get_identity_display()),
        f(_("Filed"), when(report.created_at)),
    ]
    handling = [
        f(_("Status"), report.get_status_display()),
        f(_("Escalation level"), level_words(ladder_for(report.production), report)),
        f(_("Next deadline"), when(report.next_escalation_at)),
        f(_("Acknowledged by"), access.person_label(report.acknowledged_by, report, viewer)),
        f(_("Acknowledged"), when(report.acknowledged_at)),
        f(_("Resolved by"), access.person_label(report.resolved_by, report, viewer)),
        f(_("Resolved"), when(report.resolved_at)),
        f(_("Corrective action"), report.resolution, long=True),
        f(_("Times reopened"), report.reopen_count),
    ]
    sections = [
        RecordSection(_("The concern"), concern),
        RecordSection(_("Reporter"), reporter),
        RecordSection(_("Handling"), handling),
    ]
    links = []
    if report.repeat_of_id:
        links.append(f(_("Repeat of"), f"#{report.repeat_of_id} {report.repeat_of.title}"))
    earlier = ", ".join(f"#{r.pk} {r.title}" for r in report.earlier_reports.order_by("pk"))
    if report.category == Category.IGNORED_WARNING or earlier:
        links += [
            f(_("Earlier reports that were ignored"), earlier),
            f(_("Who was warned"), report.warned_whom),
            f(_("When"), report.warned_on.isoformat() if report.warned_on else ""),
            f(_("How, and what was said"), report.warned_how, long=True),
        ]
    if links:
        sections.append(RecordSection(_("Earlier warnings and repeats"), links))
    actions = _actions_section(report, viewer)
    if actions is not None:
        sections.append(actions)
    if report.is_stop_work:
        sections.append(
            RecordSection(
                _("Stop-work"),
                [
                    f(_("Lifted"), when(report.lifted_at) or _("not lifted: work is stopped")),
                    f(_("Lifted by"), access.person_label(report.lifted_by, report, viewer)),
                    f(_("Clearance note"), report.clearance_note, long=True),
                ],
            )
        )
    return sections


def _actions_section(report: Report, viewer: User) -> RecordSection | None:
    """One field per corrective action: what, who, by when, what done means, the evidence, the check."""
    actions = list(
        CorrectiveAction.objects.filter(report_id=report.pk)
        .select_related("owner", "verified_by")
        .prefetch_related("evidence")
        .order_by("number")
    )
    if not actions:
        return None
    production = report.production
    fields = []
    for action in actions:
        status = _("Overdue") if action.is_overdue else ActionStatus(action.status).label
        lines = [
            _("Owner: %(owner)s. Due: %(due)s. Status: %(status)s.")
            % {
                "owner": access.person_label(action.owner, report, viewer),
                "due": action.due_on.isoformat(),
                "status": status,
            },
            _("Done means: %(done_means)s") % {"done_means": action.done_means},
        ]
        if action.done_at:
            files = len(action.evidence.all())
            lines.append(
                _("Marked done %(when)s: %(note)s")
                % {"when": local_stamp(action.done_at, production, zone=True), "note": action.done_note}
            )
            if files:
                lines.append(
                    ngettext(
                        "%(count)s photo or document as evidence.", "%(count)s photos or documents as evidence.", files
                    )
                    % {"count": files}
                )
        if action.verified_at:
            lines.append(
                _("Verified by %(who)s, %(when)s.")
                % {
                    "who": access.person_label(action.verified_by, report, viewer),
                    "when": local_stamp(action.verified_at, production, zone=True),
                }
            )
        if action.sent_back_count:
            lines.append(
                ngettext("Sent back %(count)s time.", "Sent back %(count)s times.", action.sent_back_count)
                % {"count": action.sent_back_count}
            )
        fields.append(RecordField(f"{action.number}. {action.what}", "\n".join(lines), long=True))
    return RecordSection(_("Corrective actions"), fields)


def _notified(event_notifications: Iterable[Notification], report: Report, viewer: User) -> list[str]:
    """Who this event reached, one line per person with their channels and how delivery went."""
    by_person: dict[str, list[str]] = defaultdict(list)
    for n in event_notifications:
        who = access.person_label(n.recipient, report, viewer) or _("the production's webhook")
        by_person[who].append(f"{n.get_channel_display()} ({n.get_status_display()})")
    return [f"{who}: {', '.join(channels)}" for who, channels in by_person.items()]


def record_build(*, report: Report, viewer: User, now: datetime | None = None) -> InvestigationRecord:
    """Everything an investigator needs about one report, in five queries plus the trail check."""
    now = now or timezone.now()
    production = report.production
    check = verify_trail(report)
    events = list(Event.objects.filter(report_id=report.pk).select_related("actor").order_by("seq"))
    notifications = list(Notification.objects.filter(report_id=report.pk).select_related("recipient").order_by("pk"))
    by_event: dict[int, list[Notification]] = defaultdict(list)
    for n in notifications:
        by_event[n.event_id].append(n)
    by_id = {n.pk: n for n in notifications}
    trail = [
        TrailLine(
            seq=event.seq,
            at=local_stamp(event.created_at, production, seconds=True),
            what=event.get_kind_display(),
            who=access.event_actor_label(event, report, viewer),
            details=event_words(event, report, viewer, by_id.get((event.payload or {}).get("notification"))).lines(
                event.get_kind_display()
            ),
            notified=_notified(by_event.get(event.pk, []), report, viewer),
            hash=event.hash,
            prev_hash=event.prev_hash,
            broken=check.broken_seq is not None and event.seq >= check.broken_seq,
        )
        for event in events
    ]
    if check.intact:
        check_text = ngettext(
            "Trail intact: %(count)s event.",
            "Trail intact: %(count)s events, each one chained to the one before.",
            check.events,
        ) % {"count": check.events}
    else:
        check_text = _("Trail broken at event %(seq)s: %(reason)s. Events from there on cannot be trusted.") % {
            "seq": check.broken_seq,
            "reason": check.reason,
        }
    attachments = [
        AttachmentLine(a.original_name, a.content_type, a.size, a.sha256, local_stamp(a.uploaded_at, production))
        for a in report.attachments.order_by("uploaded_at", "pk")
    ]
    return InvestigationRecord(
        report=report,
        production=production,
        title=_("Investigation record: report #%(id)s") % {"id": report.pk},
        generated_at=local_stamp(now, production, zone=True),
        generated_by=str(viewer),
        sections=_sections(report, viewer) + investigation_sections(report, viewer) + armory_sections(report, viewer),
        attachments=attachments,
        trail=trail,
        check=check,
        check_text=check_text,
    )
