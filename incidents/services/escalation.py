"""Escalation: move due reports one level up, exactly once; at the top, remind it a bounded number of times.

A report never goes past the ladder's top. There its top level is reminded (`reminded` events,
counted on the report) up to the policy's `top_reminders`; after that the report is "unanswered at the
top": it keeps no deadline, stays first on the dashboards, and the production's admins and its webhook
are alerted once (selectors.last_alert: the site's administrators when no admin of the production can be
told; the trail says plainly when nobody could be). A level that reaches nobody is named in the
escalation and passed on the way.

Both paths lock the rows they escalate with a conditional `SELECT ... FOR UPDATE`, then write the new
level, the event and the notifications in that one transaction. The sweeper's batches
(`WHERE status IN (open, acknowledged) AND next_escalation_at <= now`) skip rows someone else holds
(`SKIP LOCKED`), so several sweepers share the work. The ETA task of one deadline (`WHERE ... AND
escalation_level = expected`) waits for its row instead: PostgreSQL checks the conditions again on the
row as the other transaction left it, so a report the sweeper or an acknowledgement just moved is not
found. A stale, duplicate or replayed call finds no row and writes nothing.
"""

import enum
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from incidents.ladder import Ladder, ladders_for
from incidents.models import EscalationReason, Event, EventKind, Report, ReportStatus
from incidents.selectors.contacts import ContactBook
from incidents.selectors.last_alert import AlertedWho, production_admins, site_admins

from . import dispatch, notify
from .recipients import Crew
from .trail import event_build

ESCALATABLE = (ReportStatus.OPEN, ReportStatus.ACKNOWLEDGED)


class Outcome(enum.StrEnum):
    ESCALATED = "escalated"
    NOT_DUE = "not_due"  # the deadline is still ahead (an early ETA task): try again at the deadline
    STALE = "stale"  # acknowledged, resolved, already escalated, or locked by someone escalating it


def _locked(queryset: QuerySet[Report], *, skip_locked: bool) -> QuerySet[Report]:
    return queryset.select_for_update(skip_locked=skip_locked, of=("self",)).select_related("production")


def report_escalate(
    *,
    report_id: int,
    expected_level: int,
    now: datetime | None = None,
    actor: AbstractBaseUser | None = None,
    force: bool = False,
) -> Outcome:
    """Escalate one report from `expected_level`; `force` (the admin's "escalate now") skips the deadline."""
    candidates = Report.objects.filter(pk=report_id, escalation_level=expected_level, status__in=ESCALATABLE)
    if not force:
        candidates = candidates.filter(next_escalation_at__isnull=False)
    # Replayed timers, and late ones whose report a catch-up batch took, find the work done: one query
    # says so, without a transaction (the locked read below decides for the others).
    if not candidates.exists():
        return Outcome.STALE
    with transaction.atomic():
        # Wait for a busy row rather than skip it: a delivery appending to the trail or a comment holds
        # it for milliseconds, and skipping would leave the report to the next sweep, seconds late.
        report = _locked(candidates, skip_locked=False).first()
        if report is None:
            return Outcome.STALE
        # The time is read once the row is ours, so the trail says when it really happened.
        at = now or timezone.now()
        if not force and report.next_escalation_at > at:
            return Outcome.NOT_DUE
        _escalate_locked([report], now=at, actor=actor)
    return Outcome.ESCALATED


def reports_escalate_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Escalate one batch of due reports (oldest deadline first); returns how many were escalated."""
    with transaction.atomic():
        due = list(
            _locked(
                Report.objects.filter(next_escalation_at__lte=now or timezone.now(), status__in=ESCALATABLE),
                skip_locked=True,
            ).order_by("next_escalation_at")[:limit]
        )
        if due:
            _escalate_locked(due, now=now or timezone.now())
    return len(due)


def _per_report(field_name: str, values: dict[int, object]) -> RawSQL:
    """`CASE id WHEN <pk> THEN <value> ... END`, each value prepared by the field as the ORM would.

    One raw expression for the whole batch: Django resolves each `When(pk=...)` of a `Case` through the
    query machinery (about a millisecond apiece), which made the batch UPDATE's compilation, not
    PostgreSQL, the slowest step of a sweep."""
    field = Report._meta.get_field(field_name)
    whens, params = [], []
    for pk, value in values.items():
        whens.append("WHEN %s THEN %s")
        params.extend([pk, field.get_db_prep_save(value, connection)])
    sql = f"CASE {connection.ops.quote_name(Report._meta.pk.column)} {' '.join(whens)} END"
    if connection.vendor == "postgresql":
        # A batch whose values are all NULL (no deadline once unanswered at the top) would be typed text.
        sql = f"CAST({sql} AS {field.db_type(connection)})"
    # Only the quoted primary-key column and placeholders are in the SQL; every value is a bound parameter.
    return RawSQL(sql, params, output_field=field)  # noqa: S611  # nosec B611


@dataclass
class _Batch:
    """What one batch writes: the events (in trail order per report) and who each one tells."""

    now: datetime
    actor: AbstractBaseUser | None
    crew: Crew
    production_ids: set[int]
    events: list[Event] = field(default_factory=list)
    told: list[tuple[Event, Report, list[User], int | None, bool]] = field(default_factory=list)

    def add(
        self, event: Event, report: Report, recipients: list[User], level: int | None, *, webhook_always: bool = False
    ) -> None:
        self.events.append(event)
        self.told.append((event, report, recipients, level, webhook_always))

    @cached_property
    def admins(self) -> dict[int, list[User]]:
        """The productions' admins, read once, and only by a batch that alerts someone (a report may
        reach the top by climbing past levels that reach nobody, not only by its reminders)."""
        return production_admins(self.production_ids)

    @cached_property
    def site_admins(self) -> list[User]:
        return site_admins()


def _reason(report: Report, actor: AbstractBaseUser | None) -> str:
    if actor is not None:
        return EscalationReason.BY_ADMIN
    if report.status == ReportStatus.ACKNOWLEDGED:
        return EscalationReason.NOT_RESOLVED
    return EscalationReason.NOT_ACKNOWLEDGED


def _reopen(report: Report) -> None:
    """A missed deadline puts the report back in everyone's queue: nobody holds it any more."""
    report.status = ReportStatus.OPEN
    report.acknowledged_by = None
    report.acknowledged_at = None


def _climb(batch: _Batch, report: Report, ladder: Ladder) -> None:
    """One level up; a level that reaches nobody is named in the event and passed on the way."""
    from_level = report.escalation_level
    reason = _reason(report, batch.actor)
    to_level = ladder.next_number(from_level)
    # Less the people too close to the report; the level above is told too when it concerns someone here.
    reach = batch.crew.level_reach(ladder.level(to_level), report, ladder)
    recipients = reach.recipients
    nobody_at = []
    while not recipients and not ladder.at_top(to_level):
        nobody_at.append(to_level)
        to_level = ladder.next_number(to_level)
        recipients = batch.crew.level_recipients(ladder.level(to_level), report)
    if not recipients:
        nobody_at.append(to_level)
    level = ladder.level(to_level)
    _reopen(report)
    report.escalation_level = to_level
    report.reminder_count = 0
    report.next_escalation_at = batch.now + level.timeout(report.severity)
    event = event_build(
        report=report,
        kind=EventKind.ESCALATED,
        actor=batch.actor,
        at=batch.now,
        payload={
            "from_level": from_level,
            "to_level": to_level,
            "reason": reason,
            "roles": list(level.roles),
            "recipients": [user.pk for user in recipients],
            "deadline": report.next_escalation_at.isoformat(),
            **({"nobody_at": nobody_at} if nobody_at else {}),
            **reach.payload(),
        },
        fields=["status", "escalation_level", "acknowledged_by", "acknowledged_at", "reminder_count"],
    )
    batch.add(event, report, recipients, to_level)
    if not recipients:  # the top reaches nobody either: straight on to the production's admins
        _mark_unanswered(batch, report, ladder)


def _remind(batch: _Batch, report: Report, ladder: Ladder) -> None:
    """At the top the level stays put: the top level is reminded, at most `top_reminders` times in a row.

    A missed resolution deadline (acknowledged, then left) starts a new run of reminders: someone took
    it on since the last ones, and that person's silence is news to the top."""
    reason = _reason(report, batch.actor)
    count = 0 if report.status == ReportStatus.ACKNOWLEDGED else report.reminder_count
    top = ladder.level(ladder.top)
    recipients = batch.crew.level_recipients(top, report)
    if count >= ladder.top_reminders or not recipients:
        _reopen(report)
        report.reminder_count = count
        _mark_unanswered(batch, report, ladder, reason=reason)
        return
    _reopen(report)
    report.reminder_count = count + 1
    report.next_escalation_at = batch.now + top.timeout(report.severity)
    event = event_build(
        report=report,
        kind=EventKind.REMINDED,
        actor=batch.actor,
        at=batch.now,
        payload={
            "level": top.number,
            "reminder": report.reminder_count,
            "of": ladder.top_reminders,
            "reason": reason,
            "roles": list(top.roles),
            "recipients": [user.pk for user in recipients],
            "deadline": report.next_escalation_at.isoformat(),
        },
        fields=["status", "acknowledged_by", "acknowledged_at", "reminder_count"],
    )
    batch.add(event, report, recipients, top.number)


def _mark_unanswered(batch: _Batch, report: Report, ladder: Ladder, *, reason: str = "") -> None:
    """No more reminders: the report waits at the top, first on every dashboard, without a deadline.
    The first time, the production's admins (and its webhook) are alerted, or the site's administrators
    when no admin of the production can be told; the event records whom, so the trail never claims an
    alert that reached nobody."""
    first = report.unanswered_at_top_at is None
    report.next_escalation_at = None
    fields = ["status", "acknowledged_by", "acknowledged_at", "reminder_count"]
    if first:
        report.unanswered_at_top_at = batch.now
        fields.append("unanswered_at_top_at")
    who, alerted = _alerted(batch, report) if first else (None, [])
    event = event_build(
        report=report,
        kind=EventKind.UNANSWERED_AT_TOP,
        actor=batch.actor,
        at=batch.now,
        payload={
            "level": min(report.escalation_level, ladder.top),
            "reminders": report.reminder_count,
            "alerted": first,
            "recipients": [user.pk for user in alerted],
            **({"alerted_who": who, "webhook": bool(report.production.webhook_url)} if who else {}),
            **({"reason": reason} if reason else {}),
        },
        fields=fields,
    )
    batch.add(event, report, alerted, None, webhook_always=first)


def _alerted(batch: _Batch, report: Report) -> tuple[AlertedWho, list[User]]:
    """Whom the alert reaches: the production's admins, else the site's administrators; never the
    report's reporter nor anyone it concerns (recipients.Crew.left_out)."""
    left = batch.crew.left_out(report)
    admins = [user for user in batch.admins.get(report.production_id, []) if user.pk not in left]
    if admins:
        return AlertedWho.ADMINS, admins
    site = [user for user in batch.site_admins if user.pk not in left]
    if site:
        return AlertedWho.SITE_ADMINS, site
    return AlertedWho.NOBODY, []


def _escalate_locked(reports: list[Report], *, now: datetime, actor: AbstractBaseUser | None = None) -> None:
    """Escalate rows the caller has locked, in a constant number of queries for the whole batch."""
    production_ids = {r.production_id for r in reports}
    ladders = ladders_for(production_ids)
    batch = _Batch(now=now, actor=actor, crew=Crew.of(production_ids), production_ids=production_ids)
    for report in reports:
        ladder = ladders[report.production_id]
        if ladder.at_top(report.escalation_level):
            _remind(batch, report, ladder)
        else:
            _climb(batch, report, ladder)

    ids = [r.pk for r in reports]
    updated = Report.objects.filter(pk__in=ids, status__in=ESCALATABLE).update(
        status=ReportStatus.OPEN,
        acknowledged_by=None,
        acknowledged_at=None,
        **{
            name: _per_report(name, {r.pk: getattr(r, name) for r in reports})
            for name in (
                "escalation_level",
                "next_escalation_at",
                "reminder_count",
                "unanswered_at_top_at",
                "trail_seq",
                "trail_head",
                "trail_seal",
            )
        },
    )
    if updated != len(reports):  # impossible while we hold the locks; refuse to write a partial batch
        raise RuntimeError(f"escalation batch changed under its lock ({updated} of {len(reports)} rows)")
    Event.objects.bulk_create(batch.events)
    rows = []
    # How each person is reached (email, push, their choices), read once for the whole batch.
    contacts = ContactBook.of(user.pk for _, _, recipients, _, _ in batch.told for user in recipients)
    for event, report, recipients, level_number, webhook_always in batch.told:
        rows.extend(
            notify.notifications_build(
                event=event,
                report=report,
                recipients=recipients,
                level=level_number,
                production=report.production,
                contacts=contacts,
            )
        )
        if webhook_always and not recipients:
            rows.extend(notify.webhook_rows(event=event, report=report, level=level_number))
    notify.notifications_save(rows)
    dispatch.escalations_schedule((r.pk, r.escalation_level, r.next_escalation_at) for r in reports)
