"""Filing a report: the report, its `filed` event, its deadline and its first notifications, in one
transaction; the deliveries and the ETA task go out after commit.

A submission that carries an idempotency key files at most one report per key: a repeat (a double tap,
a retry after an answer lost on a bad connection, an offline draft sent by the page and by the service
worker at once) is answered with the report the first one filed. The unique constraint on the key
decides races: the second insert waits for the first transaction and then fails, and finds its report.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Production, User
from incidents.categories import FIREARM_CATEGORIES, SEVERITY_ORDER, Category, Severity, default_severity
from incidents.ladder import Ladder, ladder_for
from incidents.models import Ammunition, EventKind, FirearmFlag, Identity, Report, ReportStatus
from incidents.models.report import WITHOUT_REPORTER

from . import attachments as attachment_service
from . import dispatch, firearm_flags, notify
from .recipients import Crew, production_members
from .trail import FILED_FIELDS, event_append
from .warnings import warnings_link


@dataclass
class ReportDraft:
    """What a reporter typed, already validated by a form (or built by a test or a script)."""

    category: str
    title: str
    description: str
    occurred_at: datetime
    severity: str = ""
    location: str = ""
    department: str = ""
    injuries: bool = False
    injury_description: str = ""
    weapon: str = ""
    ammunition: str = ""
    armorer_present: bool | None = None
    witnesses: str = ""
    identity: str = Identity.NAMED
    show_department: bool = False
    earlier_reports: Sequence[Report] = field(default_factory=list)
    warned_whom: str = ""
    warned_on: date | None = None
    warned_how: str = ""
    uploads: Sequence[attachment_service.CleanUpload] = field(default_factory=list)
    # Sent by the page with the submission: its key (one report per key), and, for a draft saved on the
    # phone without signal, when it was saved (the trail says it was filed late).
    idempotency_key: uuid.UUID | None = None
    saved_at: datetime | None = None
    # "This concerns…": the person (a member of the production) or the role the report is about.
    concerns_person: User | None = None
    concerns_role: str = ""
    via_email: bool = False  # filed by `manage.py mailin`: a buried warning is then "found in an email"


def effective_severity(category: str, requested: str) -> str:
    """Raise-only: the reporter may raise the category's default severity, never lower it."""
    floor = default_severity(category)
    if not requested or SEVERITY_ORDER[requested] < SEVERITY_ORDER[floor]:
        return floor
    return requested


def earlier_firearm_report(production: Production, ladder: Ladder, now: datetime) -> Report | None:
    """The production's latest firearm report within the repeat window, locked (the caller's transaction
    appends to its trail): found and locked in one query."""
    if not ladder.policy.repeat_incident_enabled:
        return None
    return (
        Report.objects.firearm()
        .filter(production=production, created_at__gte=now - ladder.policy.repeat_incident_window)
        .select_for_update(of=("self",))
        .order_by("-created_at")
        .first()
    )


def report_filed_with_key(*, key: uuid.UUID, production: Production, reporter: User | None) -> Report | None:
    """The report an earlier submission with this key filed, or None. A key that filed a report on
    another production or for another person is refused: the page must start a new submission."""
    report = Report.objects.select_related("production").filter(idempotency_key=key).first()
    if report is None:
        return None
    if report.production_id != production.pk or (
        report.reporter_id is not None and report.reporter_id != getattr(reporter, "pk", None)
    ):
        raise ValidationError(
            _("This form was already used to send another report. Reload the page and send yours again."),
            code="key_used",
        )
    return report


def report_file(
    *,
    production: Production,
    reporter: User | None,
    draft: ReportDraft,
    receipt_hash: str | None = None,
    now: datetime | None = None,
    first_level: int | None = None,
) -> Report:
    """File the draft; with `draft.idempotency_key`, a repeat returns the first report and files nothing.

    `first_level` starts it higher up the ladder than level 1 (the armorer's time requests go straight to
    the people who can approve them); a stop-work call starts at the top."""
    key = draft.idempotency_key
    if key is not None:
        # Insert first: the key's unique index finds a repeat (rare: a phone resending after a lost answer)
        # without a lookup before every filing.
        try:
            return _report_file(
                production=production,
                reporter=reporter,
                draft=draft,
                receipt_hash=receipt_hash,
                now=now,
                first_level=first_level,
            )
        except IntegrityError:
            # An earlier or a racing request with the same key filed it (or a receipt hash clashed: then
            # there is no report with this key and the error stands).
            earlier = report_filed_with_key(key=key, production=production, reporter=reporter)
            if earlier is None:
                raise
            return earlier
    return _report_file(
        production=production,
        reporter=reporter,
        draft=draft,
        receipt_hash=receipt_hash,
        now=now,
        first_level=first_level,
    )


def _report_file(
    *,
    production: Production,
    reporter: User | None,
    draft: ReportDraft,
    receipt_hash: str | None,
    now: datetime | None,
    first_level: int | None,
) -> Report:
    now = now or timezone.now()
    if draft.identity == Identity.SYSTEM:
        identity = Identity.SYSTEM  # SafeTrack files it (an armory gap): nobody's account, no receipt
    else:
        identity = Identity.ANONYMOUS if reporter is None else draft.identity
    if identity in WITHOUT_REPORTER:
        reporter = None
    ladder = ladder_for(production)
    severity = effective_severity(draft.category, draft.severity)
    is_stop_work = draft.category == Category.STOP_WORK
    is_live_round = not is_stop_work and (
        draft.category == Category.LIVE_AMMUNITION or draft.ammunition == Ammunition.LIVE
    )
    # A stop-work call reaches every level at once, so it sits at the top from the start.
    level = ladder.top if is_stop_work else ladder.level(first_level or ladder.levels[0].number).number

    with transaction.atomic():
        repeat_of = None
        if draft.category in FIREARM_CATEGORIES:
            repeat_of = earlier_firearm_report(production, ladder, now)
            if repeat_of is not None:
                severity = Severity.CRITICAL
        report = Report.objects.create(
            production=production,
            category=draft.category,
            severity=severity,
            title=draft.title,
            description=draft.description,
            occurred_at=draft.occurred_at,
            location=draft.location,
            department=draft.department,
            injuries=draft.injuries,
            injury_description=draft.injury_description if draft.injuries else "",
            weapon=draft.weapon,
            ammunition=draft.ammunition,
            armorer_present=draft.armorer_present,
            witnesses=draft.witnesses,
            reporter=reporter,
            identity=identity,
            show_department=draft.show_department and identity == Identity.CONFIDENTIAL,
            receipt_hash=receipt_hash,
            status=ReportStatus.OPEN,
            escalation_level=level,
            next_escalation_at=now + ladder.level(level).timeout(severity),
            repeat_of=repeat_of,
            warned_whom=draft.warned_whom,
            warned_on=draft.warned_on,
            warned_how=draft.warned_how,
            created_at=now,
            idempotency_key=draft.idempotency_key,
            concerns_person=draft.concerns_person,
            concerns_role=draft.concerns_role,
        )
        attachment_service.attachments_save(report=report, uploads=draft.uploads)
        crew = Crew.of_production(production)
        nobody_at = [] if is_stop_work else _levels_reaching_nobody(crew, ladder, report)
        if nobody_at:
            # The first level reaches nobody (a production with no armorer yet): straight on to the next.
            level = report.escalation_level = ladder.next_number(nobody_at[-1])  # the top stays the top
            report.next_escalation_at = now + ladder.level(level).timeout(severity)
            Report.objects.filter(pk=report.pk).update(
                escalation_level=level, next_escalation_at=report.next_escalation_at
            )
        payload: dict[str, object] = {
            "category": draft.category,
            "severity": severity,
            "identity": identity,
            "level": level,
            "attachments": len(draft.uploads),
        }
        if nobody_at:
            payload["nobody_at"] = nobody_at
        if is_live_round:
            payload["live_round"] = True  # the armorer, the safety coordinator and the producers: at once
        if is_stop_work:
            payload["everyone"] = True  # every member of the production is told
        if draft.via_email:
            payload["via"] = "email"  # sent to the production's reporting address (manage.py mailin)
        if draft.saved_at is not None:
            # Saved on the phone without signal and sent when it came back: filed late, and since when.
            payload["saved_on_phone_at"] = draft.saved_at.isoformat()
            payload["filed_late"] = True
        if is_stop_work:
            notified_levels = list(ladder.levels)
        elif repeat_of is not None:
            notified_levels = [ladder.level(level), ladder.levels[-1]]
        else:
            notified_levels = [ladder.level(level)]
        reach = crew.ladder_reach(notified_levels, report, ladder)
        payload.update(reach.payload())
        filed = event_append(
            report=report,
            kind=EventKind.STOP_WORK_CALLED if is_stop_work else EventKind.FILED,
            actor=reporter,
            at=now,
            public=True,
            payload=payload,
            fields=FILED_FIELDS,
        )
        recipients: dict[int, User] = {user.pk: user for user in reach.recipients}
        if is_live_round:
            for user in crew.who_can_stop_it(report):
                recipients[user.pk] = user
        if is_stop_work:
            # Everyone must stop: every member, crew included (even whom it concerns), hears it; the caller
            # already knows.
            for user in production_members(production.pk):
                if user.pk != report.reporter_id:
                    recipients.setdefault(user.pk, user)
        notify.notify(event=filed, report=report, recipients=list(recipients.values()), level=level)
        firearm_flags.report_scan(
            report=report,
            text=firearm_flags.report_text(report),
            source=FirearmFlag.Source.EMAIL if draft.via_email else FirearmFlag.Source.REPORT,
            now=now,
        )
        if repeat_of is not None:
            _link_repeat(report=report, earlier=repeat_of, now=now)
        if draft.earlier_reports:
            warnings_link(report=report, earlier_reports=draft.earlier_reports, now=now)
        dispatch.escalation_schedule(report_id=report.pk, level=level, at=report.next_escalation_at)
    return report


def _levels_reaching_nobody(crew: Crew, ladder: Ladder, report: Report) -> list[int]:
    """The levels from the report's first one up that reach nobody, until one reaches someone; the top
    is among them when nobody is on the ladder at all (then its deadline alerts the admins)."""
    nobody_at = []
    number = report.escalation_level
    while not crew.level_recipients(ladder.level(number), report):
        nobody_at.append(number)
        if ladder.at_top(number):
            break
        number = ladder.next_number(number)
    return nobody_at


def _link_repeat(*, report: Report, earlier: Report, now: datetime) -> None:
    """Both reports say "repeat incident", each pointing at the other (`earlier` is locked)."""
    event_append(
        report=report,
        kind=EventKind.REPEAT_INCIDENT,
        at=now,
        payload={"earlier_report": earlier.pk, "raised_to": Severity.CRITICAL},
    )
    event_append(report=earlier, kind=EventKind.REPEAT_INCIDENT, at=now, payload={"later_report": report.pk})
