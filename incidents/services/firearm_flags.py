"""Buried warnings: every report and every comment is read for firearm concerns (incidents.scanner).
A match on a report that is not filed as a firearm report flags it "possible firearm concern", puts
the sentence on its trail and tells the armorer and the safety coordinator at once; a handler then
confirms it (the report joins the firearm reports, with their repeat-incident rule) or clears it
with a reason. The flag never names a confidential or anonymous reporter: its notification is an
automatic event, and messages say who filed the report through access.reporter_label."""

from datetime import datetime
from functools import lru_cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, User
from incidents import access
from incidents.categories import Severity
from incidents.ladder import VersionedCache, ladder_for
from incidents.models import EventKind, FirearmFlag, Report, ReportStatus, WarningTerm
from incidents.scanner import Match, Scanner, Term, term_from_words

from . import dispatch, notify
from .recipients import Crew
from .trail import event_append

FLAG_ROLES = (Role.ARMORER, Role.SAFETY)
REASON_MAX = 2000


@lru_cache(maxsize=8)
def _scanner(extra: tuple[Term, ...]) -> Scanner:
    return Scanner(extra)


# The scanner per production, per process, for its config_version: a trigger bumps every production's
# version when an admin adds, edits or removes a warning word (incidents.config_triggers).
SCANNERS = VersionedCache("scanners")


def scanner_for(report: Report) -> Scanner:
    """The scanner for text written on `report`: no query when its production is loaded and warm."""
    if Report.production.is_cached(report):
        return SCANNERS.get(report.production, scanner_now)
    return scanner_now()


def scanner_now() -> Scanner:
    """The built-in lists plus the active words admins added (one small query; compiled once per list)."""
    rows = WarningTerm.objects.filter(active=True).order_by("pk").values_list("words", "alone", "language")
    extra = tuple(
        term
        for words, alone, language in rows
        if (term := term_from_words(words, strong=alone, language=language)) is not None
    )
    return _scanner(extra)


def report_text(report: Report) -> str:
    """Everything a reporter typed into a report, in the order the form asks it."""
    parts = [
        report.title,
        report.description,
        report.injury_description,
        report.witnesses,
        report.location,
        report.weapon,
        report.warned_how,
    ]
    return "\n\n".join(part for part in parts if part)


def flag_recipients(report: Report) -> list[User]:
    """The production's armorers and safety coordinators, never the reporter."""
    memberships = Membership.objects.filter(
        production_id=report.production_id, role__in=FLAG_ROLES, user__is_active=True
    ).select_related("user")
    return sorted(
        {m.user_id: m.user for m in memberships if m.user_id != report.reporter_id}.values(), key=lambda u: u.pk
    )


def report_scan(*, report: Report, text: str, source: str, now: datetime | None = None) -> FirearmFlag | None:
    """Scan `text` written on `report` (the caller holds the report's row lock). Flags the report when the
    text raises a firearm concern, unless it is already a firearm report or a flag is waiting."""
    if report.is_firearm:
        return None
    matches: list[Match] = scanner_for(report).scan(text)
    if not matches:
        return None
    if FirearmFlag.objects.filter(
        report_id=report.pk, status__in=[FirearmFlag.Status.FLAGGED, FirearmFlag.Status.CONFIRMED]
    ).exists():
        return None
    now = now or timezone.now()
    flag = FirearmFlag.objects.create(
        report=report,
        source=source,
        matches=[{"sentence": m.sentence, "term": m.term} for m in matches],
        flagged_at=now,
    )
    event = event_append(
        report=report,
        kind=EventKind.FIREARM_FLAGGED,
        at=now,
        payload={"flag": flag.pk, "source": source, "sentences": [m.sentence for m in matches]},
    )
    notify.notify(event=event, report=report, recipients=flag_recipients(report), webhook=True)
    return flag


def _locked_flag(flag_id: int) -> tuple[FirearmFlag, Report]:
    flag = FirearmFlag.objects.select_for_update().get(pk=flag_id)
    report = Report.objects.select_for_update(of=("self",)).select_related("production").get(pk=flag.report_id)
    return flag, report


def _decide(*, flag_id: int, user: User, status: str, reason: str, now: datetime | None) -> tuple[FirearmFlag, Report]:
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError(_("Keep the reason under 2,000 characters."), code="too_long")
    now = now or timezone.now()
    flag, report = _locked_flag(flag_id)
    if not access.can_decide_firearm_flag(user, report):
        raise PermissionDenied(_("Only a handler of this production who is not involved in it can decide this."))
    if flag.status != FirearmFlag.Status.FLAGGED:
        raise ValidationError(_("Someone already decided this flag."), code="decided")
    FirearmFlag.objects.filter(pk=flag.pk, status=FirearmFlag.Status.FLAGGED).update(
        status=status, decided_by=user, decided_at=now, reason=reason
    )
    flag.refresh_from_db()
    return flag, report


def firearm_flag_clear(*, flag_id: int, user: User, reason: str, now: datetime | None = None) -> FirearmFlag:
    """Not a firearm concern after all ("my mind went blank"): says why, on the trail."""
    if not (reason or "").strip():
        raise ValidationError(_("Say why this is not a firearm concern."), code="required")
    with transaction.atomic():
        flag, report = _decide(flag_id=flag_id, user=user, status=FirearmFlag.Status.CLEARED, reason=reason, now=now)
        event_append(
            report=report,
            kind=EventKind.FIREARM_CLEARED,
            actor=user,
            at=flag.decided_at,
            payload={"flag": flag.pk, "reason": flag.reason},
        )
    return flag


def firearm_flag_confirm(*, flag_id: int, user: User, reason: str = "", now: datetime | None = None) -> FirearmFlag:
    """A firearm concern: the report now counts as a firearm report. If another firearm report came
    within the repeat window before it, it is a repeat incident: critical, and the top level is told."""
    with transaction.atomic():
        flag, report = _decide(flag_id=flag_id, user=user, status=FirearmFlag.Status.CONFIRMED, reason=reason, now=now)
        at = flag.decided_at
        event_append(
            report=report,
            kind=EventKind.FIREARM_CONFIRMED,
            actor=user,
            at=at,
            payload={"flag": flag.pk, "reason": flag.reason},
        )
        _apply_repeat_rule(report=report, now=at)
    return flag


def _apply_repeat_rule(*, report: Report, now: datetime) -> None:
    ladder = ladder_for(report.production_id)
    policy = ladder.policy
    if report.repeat_of_id or not policy.repeat_incident_enabled:
        return
    earlier = (
        Report.objects.firearm()
        .filter(
            production_id=report.production_id,
            created_at__gte=report.created_at - policy.repeat_incident_window,
            created_at__lt=report.created_at,
        )
        .exclude(pk=report.pk)
        .order_by("-created_at")
        .first()
    )
    if earlier is None:
        return
    report.repeat_of = earlier
    report.severity = Severity.CRITICAL
    fields = ["repeat_of", "severity"]
    if report.status == ReportStatus.OPEN and report.next_escalation_at is not None:
        sooner = now + ladder.level(report.escalation_level).timeout(Severity.CRITICAL)
        if sooner < report.next_escalation_at:
            report.next_escalation_at = sooner
            fields.append("next_escalation_at")
    report.save(update_fields=fields)
    event = event_append(
        report=report,
        kind=EventKind.REPEAT_INCIDENT,
        at=now,
        payload={"earlier_report": earlier.pk, "raised_to": Severity.CRITICAL},
        fields=["repeat_of", "severity"],
    )
    locked_earlier = Report.objects.select_for_update(of=("self",)).get(pk=earlier.pk)
    event_append(report=locked_earlier, kind=EventKind.REPEAT_INCIDENT, at=now, payload={"later_report": report.pk})
    top = ladder.levels[-1]
    recipients = Crew.of([report.production_id]).level_recipients(top, report)
    notify.notify(event=event, report=report, recipients=recipients, level=top.number)
    if "next_escalation_at" in fields:
        dispatch.escalation_schedule(report_id=report.pk, level=report.escalation_level, at=report.next_escalation_at)
