"""What must hold after any fault, checked from the database in a few queries (the fault tests, the
soak run and the sweeper benchmark all call `invariants_check`):

1. every report that was filed is in the database (once);
2. each level was escalated exactly once: a report's `escalated` events chain from the level it was
   filed at, each starting where the previous one ended, and the report sits where the last one ended
   (reminders at the top are `reminded` events and leave the level where it is); every escalation,
   reminder and "unanswered at the top" alert wrote the in-app notifications of the people it names;
   and, once things settle, no open report is left past its deadline;
3. every notification was sent exactly once or marked failed: no row left pending or half-sent, one
   `notified` event per sent email/webhook row and none for a failed one, and (given the SMTP server's
   messages) one message per sent email;
4. every report's hash-chained trail verifies, up to the head the report row keeps.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from incidents.models import Channel, Event, EventKind, Notification, Report
from incidents.services.escalation import ESCALATABLE
from incidents.trail import GENESIS, event_hash

FILED_KINDS = (EventKind.FILED, EventKind.STOP_WORK_CALLED)
# Events that name who they tell (`recipients`): each must have written those people's in-app rows.
TOLD_KINDS = (EventKind.ESCALATED, EventKind.REMINDED, EventKind.UNANSWERED_AT_TOP)


@dataclass
class Invariants:
    reports: int = 0
    events: int = 0
    escalations: int = 0
    notifications: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        statuses = ", ".join(f"{status} {count}" for status, count in sorted(self.notifications.items()))
        verdict = "all invariants hold" if self.ok else f"{len(self.problems)} problems"
        return (
            f"{self.reports} reports, {self.events} events, {self.escalations} escalations, "
            f"notifications: {statuses or 'none'}; {verdict}"
        )

    def assert_ok(self) -> None:
        assert self.ok, self.summary() + "\n" + "\n".join(self.problems[:40])


def invariants_check(
    *,
    report_ids: Iterable[int] | None = None,
    titles: Iterable[str] | None = None,
    settled: bool = True,
    now: datetime | None = None,
    overdue_grace: timedelta = timedelta(seconds=5),
    email_message_ids: Iterable[str] | None = None,
    allow_resent_emails: bool = False,
) -> Invariants:
    """Check the invariants over `report_ids` (default: every report).

    `titles`: the title of every report a test filed (each must be there exactly once).
    `settled`: the system had time to catch up, so nothing may still be pending or overdue.
    `email_message_ids`: the Message-ID of every message the SMTP server accepted.
    `allow_resent_emails`: a worker was killed mid-send, so an email may have gone out twice (with the
    same Message-ID: at least once, never zero times); it must still be recorded once.
    """
    now = now or timezone.now()
    result = Invariants()
    reports_qs = Report.objects.all()
    if report_ids is not None:
        reports_qs = reports_qs.filter(pk__in=list(report_ids))
    reports = {
        r["pk"]: r
        for r in reports_qs.values(
            "pk", "title", "status", "escalation_level", "next_escalation_at", "trail_seq", "trail_head"
        )
    }
    result.reports = len(reports)
    if titles is not None:
        _check_titles(result, titles, report_ids)

    events_by_report: dict[int, list[dict]] = defaultdict(list)
    events_qs = Event.objects.filter(report_id__in=list(reports)) if report_ids is not None else Event.objects.all()
    for event in (
        events_qs.order_by("report_id", "seq")
        .values("pk", "report_id", "seq", "kind", "actor_id", "payload", "public", "created_at", "prev_hash", "hash")
        .iterator(chunk_size=5000)
    ):
        events_by_report[event["report_id"]].append(event)
        result.events += 1

    notifications_qs = (
        Notification.objects.filter(report_id__in=list(reports))
        if report_ids is not None
        else Notification.objects.all()
    )
    notifications = list(
        notifications_qs.values("pk", "report_id", "event_id", "recipient_id", "channel", "status", "created_at")
    )
    result.notifications = Counter(n["status"] for n in notifications)

    for report_id, report in reports.items():
        events = events_by_report.get(report_id, [])
        _check_trail(result, report, events)
        _check_levels(result, report, events, now=now, settled=settled, overdue_grace=overdue_grace)
    _check_notifications(result, notifications, events_by_report, settled=settled)
    if email_message_ids is not None:
        _check_emails(result, notifications, list(email_message_ids), allow_resent=allow_resent_emails)
    return result


def _check_titles(result: Invariants, titles: Iterable[str], report_ids: Iterable[int] | None) -> None:
    wanted = Counter(titles)
    found = Counter(Report.objects.filter(title__in=list(wanted)).values_list("title", flat=True))
    for title, count in wanted.items():
        if found[title] != count:
            result.problems.append(f"report {title!r} filed {count} time(s), {found[title]} in the database")


def _check_trail(result: Invariants, report: dict, events: list[dict]) -> None:
    prev_hash = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        where = f"report #{report['pk']} event {event['seq']}"
        if event["seq"] != expected_seq:
            result.problems.append(f"{where}: expected event number {expected_seq}")
            return
        if event["prev_hash"] != prev_hash:
            result.problems.append(f"{where}: does not follow the previous event")
            return
        digest = event_hash(
            prev_hash=prev_hash,
            report_id=report["pk"],
            seq=event["seq"],
            kind=event["kind"],
            actor_id=event["actor_id"],
            payload=event["payload"],
            public=event["public"],
            created_at=event["created_at"],
        )
        if digest != event["hash"]:
            result.problems.append(f"{where}: content does not match its hash")
            return
        prev_hash = event["hash"]
    if len(events) != report["trail_seq"] or (events and prev_hash != report["trail_head"]):
        result.problems.append(
            f"report #{report['pk']}: trail has {len(events)} events, the report's head says {report['trail_seq']}"
        )


def _check_levels(
    result: Invariants, report: dict, events: list[dict], *, now: datetime, settled: bool, overdue_grace: timedelta
) -> None:
    where = f"report #{report['pk']}"
    if not events or events[0]["kind"] not in FILED_KINDS:
        result.problems.append(f"{where}: the trail does not start with its filing")
        return
    level = events[0]["payload"].get("level", 1)
    for event in events:
        if event["kind"] != EventKind.ESCALATED:
            continue
        result.escalations += 1
        payload = event["payload"]
        if payload["from_level"] != level or payload["to_level"] <= level:
            result.problems.append(
                f"{where}: escalated {payload['from_level']}->{payload['to_level']} while at level {level} "
                f"(event {event['seq']}): a level escalated twice or skipped"
            )
        level = payload["to_level"]
    if report["escalation_level"] != level:
        result.problems.append(f"{where}: at level {report['escalation_level']}, its trail says {level}")
    due = report["next_escalation_at"]
    if settled and report["status"] in ESCALATABLE and due is not None and due < now - overdue_grace:
        result.problems.append(
            f"{where}: still {report['status']} {(now - due).total_seconds():.1f}s past its deadline"
        )


def _check_notifications(
    result: Invariants, notifications: list[dict], events_by_report: dict[int, list[dict]], *, settled: bool
) -> None:
    notified = Counter()
    escalations = {}
    for events in events_by_report.values():
        for event in events:
            if event["kind"] == EventKind.NOTIFIED:
                notified[event["payload"]["notification"]] += 1
            elif event["kind"] in TOLD_KINDS:
                escalations[event["pk"]] = (event["report_id"], set(event["payload"]["recipients"]))
    in_app_by_event: dict[int, set[int]] = defaultdict(set)
    for n in notifications:
        where = f"notification #{n['pk']} ({n['channel']}, report #{n['report_id']})"
        if n["channel"] == Channel.IN_APP:
            in_app_by_event[n["event_id"]].add(n["recipient_id"])
            continue
        times = notified[n["pk"]]
        if n["status"] == Notification.Status.SENT and times != 1:
            result.problems.append(f"{where}: sent, recorded {times} times in the trail")
        elif n["status"] == Notification.Status.FAILED and times:
            result.problems.append(f"{where}: failed, yet recorded as sent {times} times")
        elif settled and n["status"] in (Notification.Status.PENDING, Notification.Status.SENDING):
            result.problems.append(f"{where}: still {n['status']}")
    for event_id, (report_id, recipients) in escalations.items():
        if in_app_by_event.get(event_id, set()) != recipients:
            result.problems.append(
                f"report #{report_id}: escalation event {event_id} names {sorted(recipients)}, "
                f"in-app rows for {sorted(in_app_by_event.get(event_id, set()))}"
            )


def _check_emails(result: Invariants, notifications: list[dict], message_ids: list[str], *, allow_resent: bool) -> None:
    received = Counter(_notification_id(mid) for mid in message_ids)
    emails = {n["pk"]: n for n in notifications if n["channel"] == Channel.EMAIL}
    for pk, count in received.items():
        if pk not in emails:
            result.problems.append(f"a message for unknown notification {pk}")
        elif emails[pk]["status"] == Notification.Status.FAILED:
            result.problems.append(f"notification #{pk}: marked failed, yet the server accepted it")
        elif count > 1 and not allow_resent:
            result.problems.append(f"notification #{pk}: the server received it {count} times")
    for pk, n in emails.items():
        if n["status"] == Notification.Status.SENT and not received[pk]:
            result.problems.append(f"notification #{pk}: marked sent, the server never received it")


def _notification_id(message_id: str) -> int:
    # <notification-<pk>.<timestamp>@host> (incidents.notifications.email.message_id)
    return int(message_id.strip("<>").split("@")[0].removeprefix("notification-").split(".")[0])
