"""Escalation: move due reports one level up, exactly once.

Both paths lock the rows they escalate with a conditional `SELECT ... FOR UPDATE`, then write the new
level, the event and the notifications in that one transaction. The sweeper's batches
(`WHERE status IN (open, acknowledged) AND next_escalation_at <= now`) skip rows someone else holds
(`SKIP LOCKED`), so several sweepers share the work. The ETA task of one deadline (`WHERE ... AND
escalation_level = expected`) waits for its row instead: PostgreSQL checks the conditions again on the
row as the other transaction left it, so a report the sweeper or an acknowledgement just moved is not
found. A stale, duplicate or replayed call finds no row and writes nothing.
"""

import enum
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from incidents.ladder import ladders_for
from incidents.models import EscalationReason, Event, EventKind, Report, ReportStatus
from incidents.selectors.contacts import ContactBook

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
    # Only the quoted primary-key column and placeholders are in the SQL; every value is a bound parameter.
    return RawSQL(sql, params, output_field=field)  # noqa: S611  # nosec B611


def _escalate_locked(reports: list[Report], *, now: datetime, actor: AbstractBaseUser | None = None) -> None:
    """Escalate rows the caller has locked, in a constant number of queries for the whole batch."""
    production_ids = {r.production_id for r in reports}
    ladders = ladders_for(production_ids)
    crew = Crew.of(production_ids)
    events: list[Event] = []
    pending_notifications = []
    for report in reports:
        ladder = ladders[report.production_id]
        from_level = report.escalation_level
        reason = (
            EscalationReason.BY_ADMIN
            if actor is not None
            else EscalationReason.NOT_RESOLVED
            if report.status == ReportStatus.ACKNOWLEDGED
            else EscalationReason.NOT_ACKNOWLEDGED
        )
        to_level = ladder.next_number(from_level)
        level = ladder.level(to_level)
        recipients = crew.level_recipients(level, report)
        report.status = ReportStatus.OPEN
        report.acknowledged_by = None
        report.acknowledged_at = None
        report.escalation_level = to_level
        report.next_escalation_at = now + level.timeout(report.severity)
        event = event_build(
            report=report,
            kind=EventKind.ESCALATED,
            actor=actor,
            at=now,
            payload={
                "from_level": from_level,
                "to_level": to_level,
                "repeat_of_top": to_level > ladder.top,
                "reason": reason,
                "roles": list(level.roles),
                "recipients": [user.pk for user in recipients],
                "deadline": report.next_escalation_at.isoformat(),
            },
            fields=["status", "escalation_level", "acknowledged_by", "acknowledged_at"],
        )
        events.append(event)
        pending_notifications.append((event, report, recipients, to_level))

    ids = [r.pk for r in reports]
    updated = Report.objects.filter(pk__in=ids, status__in=ESCALATABLE).update(
        status=ReportStatus.OPEN,
        acknowledged_by=None,
        acknowledged_at=None,
        **{
            name: _per_report(name, {r.pk: getattr(r, name) for r in reports})
            for name in ("escalation_level", "next_escalation_at", "trail_seq", "trail_head", "trail_seal")
        },
    )
    if updated != len(reports):  # impossible while we hold the locks; refuse to write a partial batch
        raise RuntimeError(f"escalation batch changed under its lock ({updated} of {len(reports)} rows)")
    Event.objects.bulk_create(events)
    rows = []
    # How each person is reached (email, push, their choices), read once for the whole batch.
    contacts = ContactBook.of(user.pk for _, _, recipients, _ in pending_notifications for user in recipients)
    for event, report, recipients, level_number in pending_notifications:
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
    notify.notifications_save(rows)
    dispatch.escalations_schedule((r.pk, r.escalation_level, r.next_escalation_at) for r in reports)
