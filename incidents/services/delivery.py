"""Deliver outbox rows: claim them (pending -> sending), send them, record sent or the error.

The claim is a conditional update, so a duplicated task sends nothing twice (a batch claims with
`SELECT ... FOR UPDATE SKIP LOCKED`, so two batches never take the same row). A failure is retried
with exponential backoff until NOTIFICATION_MAX_ATTEMPTS, then the row is `failed` with its last error.
One channel failing never touches the others or the escalation."""

import enum
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.services import memberships_prime
from incidents.models import Channel, Event, EventKind, Notification, Report
from incidents.notifications import DeliveryRefused, email, push, sms, webhook

from . import dispatch
from .trail import event_build

logger = logging.getLogger(__name__)

SENDERS: dict[str, Callable[[Notification], None]] = {
    Channel.EMAIL: email.send,
    Channel.WEBHOOK: webhook.send,
    Channel.PUSH: push.send,
    Channel.SMS: sms.send,
}
CLAIMED_RELATED = ("report__production", "event__actor", "recipient", "report__reporter")
# A row claimed this long after it was due means the delivery workers are behind: catch up in batches.
CATCH_UP_AFTER = timedelta(seconds=1)


def claim_lease() -> timedelta:
    """A claim older than this belongs to a worker that died mid-send."""
    return timedelta(seconds=settings.NOTIFICATION_CLAIM_LEASE_SECONDS)


def lost_task_grace() -> timedelta:
    """A pending row this long past due has lost its task (broker flushed, worker killed)."""
    return timedelta(seconds=settings.NOTIFICATION_LOST_TASK_GRACE_SECONDS)


class Delivery(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"  # already claimed, sent, failed, or not due yet


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))


def notification_deliver(*, notification_id: int, now: datetime | None = None) -> Delivery:
    """Deliver one row (a retry after a failure): `notifications_deliver` of that row alone."""
    outcomes = notifications_deliver(notification_ids=[notification_id], now=now)
    return outcomes[0] if outcomes else Delivery.SKIPPED


def notifications_deliver(*, notification_ids: list[int], now: datetime | None = None) -> list[Delivery]:
    """Deliver the rows one transaction created (a filing's, an escalation's), claimed together: one
    claim, one batch of sends and one transaction recording them, instead of a task each. Rows already
    taken (a duplicated task, the sweeper, a catch-up batch) or not due yet are skipped.

    A row found well past its due time means the delivery workers are behind (a burst of escalations):
    after its own rows, the task delivers a batch of whatever else is due, so a backlog drains in
    batches and the tasks still queued find their rows taken."""
    started = now or timezone.now()
    ids = _claim(Notification.objects.filter(pk__in=notification_ids), started)
    if not ids:
        return []
    rows = list(Notification.objects.select_related(*CLAIMED_RELATED).filter(pk__in=ids).order_by("pk"))
    outcomes = _send_claimed(rows, now=now)
    if now is None and any(started - row.next_attempt_at > CATCH_UP_AFTER for row in rows):
        caught_up = notifications_deliver_due(limit=settings.DELIVERY_BATCH_SIZE)
        if caught_up:
            logger.info("deliveries of %s ran late: caught up %d due deliveries", ids, caught_up)
    return outcomes


def _claim(rows: QuerySet[Notification], started: datetime, limit: int | None = None) -> list[int]:
    """Take due pending rows (oldest first), skipping rows another worker is claiming: pending -> sending."""
    with transaction.atomic():
        due = (
            rows.select_for_update(skip_locked=True)
            .filter(status=Notification.Status.PENDING, next_attempt_at__lte=started)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)
        )
        ids = list(due[:limit] if limit else due)
        Notification.objects.filter(pk__in=ids).update(
            status=Notification.Status.SENDING, claimed_at=started, attempts=F("attempts") + 1
        )
    return ids


def notifications_deliver_due(*, limit: int, now: datetime | None = None) -> int:
    """Claim up to `limit` due pending rows (oldest first, skipping rows another worker is claiming)
    and deliver them; returns how many were attempted."""
    started = now or timezone.now()
    ids = _claim(Notification.objects.all(), started, limit)
    if not ids:
        return 0
    rows = list(Notification.objects.select_related(*CLAIMED_RELATED).filter(pk__in=ids).order_by("next_attempt_at"))
    _send_claimed(rows, now=now)
    return len(rows)


def _send_claimed(claimed: list[Notification], *, now: datetime | None) -> list[Delivery]:
    """Send rows this worker has claimed; record the sent ones together (one transaction, their `notified`
    events appended under their reports' locks) and each failure on its row. A batch that runs past
    DELIVERY_BATCH_SECONDS (a slow mail server) gives the rows it has not tried back to the queue."""
    deadline = time.monotonic() + settings.DELIVERY_BATCH_SECONDS
    # Whether an email carries a one-click acknowledge link depends on each recipient's memberships: one query.
    memberships_prime(n.recipient for n in claimed if n.recipient is not None)
    outcomes: list[Delivery] = []
    sent: list[Notification] = []
    for index, notification in enumerate(claimed):
        if index and time.monotonic() > deadline:
            _give_back(claimed[index:])
            outcomes.extend(Delivery.SKIPPED for _ in claimed[index:])
            break
        try:
            SENDERS[notification.channel](notification)
        except Exception as exc:  # any channel error is recorded on the row, never raised into escalation
            # The backoff counts from the failure: a send that timed out after EMAIL_TIMEOUT must not
            # eat into the wait before the next attempt.
            outcomes.append(_record_failure(notification, exc, now or timezone.now()))
        else:
            sent.append(notification)
            outcomes.append(Delivery.SENT)
    if sent:
        _record_sent(sent)
    return outcomes


def _record_sent(sent: list[Notification]) -> None:
    with transaction.atomic():
        Notification.objects.filter(pk__in=[n.pk for n in sent]).update(
            status=Notification.Status.SENT, sent_at=timezone.now(), last_error=""
        )
        # Locked in id order, so two batches sharing reports never wait for each other in a circle.
        reports = {
            report.pk: report
            for report in Report.objects.select_for_update(of=("self",))
            .filter(pk__in={n.report_id for n in sent})
            .order_by("pk")
        }
        events = [
            event_build(
                report=reports[notification.report_id],
                kind=EventKind.NOTIFIED,
                actor=None,
                payload={
                    "notification": notification.pk,
                    "channel": notification.channel,
                    "recipient": notification.recipient_id,
                    "level": notification.level,
                    "because_of": notification.event.seq,
                },
            )
            for notification in sent
        ]
        Event.objects.bulk_create(events)
        for report in reports.values():
            Report.objects.filter(pk=report.pk).update(
                trail_seq=report.trail_seq, trail_head=report.trail_head, trail_seal=report.trail_seal
            )


def _give_back(rows: list[Notification]) -> None:
    """Claimed but not tried: pending again, the attempt not counted, their tasks queued again."""
    now = timezone.now()
    ids = [n.pk for n in rows]
    Notification.objects.filter(pk__in=ids, status=Notification.Status.SENDING).update(
        status=Notification.Status.PENDING, next_attempt_at=now, attempts=F("attempts") - 1
    )
    for notification_id in ids:
        dispatch.delivery_retry(notification_id=notification_id, at=now)


def _record_failure(notification: Notification, exc: Exception, now: datetime) -> Delivery:
    error = f"{exc.__class__.__name__}: {exc}"[:1000]
    logger.warning("notification %s (%s) failed: %s", notification.pk, notification.channel, error)
    if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS or isinstance(exc, DeliveryRefused):
        Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.FAILED, last_error=error)
        return Delivery.FAILED
    retry_at = now + backoff(notification.attempts)
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.PENDING, next_attempt_at=retry_at, last_error=error
    )
    dispatch.delivery_retry(notification_id=notification.pk, at=retry_at)
    return Delivery.RETRY


def notifications_recover(*, now: datetime | None = None, limit: int = 500) -> int:
    """Re-queue deliveries whose task was lost (broker flushed or down) or whose worker died mid-send.

    A claim left by a dead worker is sent again: the message may already have gone out just before the
    worker died (at least once, never zero times); emails carry the same Message-ID both times."""
    now = now or timezone.now()
    abandoned = list(
        Notification.objects.filter(status=Notification.Status.SENDING, claimed_at__lt=now - claim_lease())
        .order_by("claimed_at")
        .values_list("pk", flat=True)[:limit]
    )
    Notification.objects.filter(pk__in=abandoned, status=Notification.Status.SENDING).update(
        status=Notification.Status.PENDING, next_attempt_at=now
    )
    stale = list(
        Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=now - lost_task_grace())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    # Pushing the due time forward keeps a busy worker from being flooded with copies every sweep.
    Notification.objects.filter(pk__in=stale, status=Notification.Status.PENDING).update(next_attempt_at=now)
    dispatch.deliveries_schedule(abandoned + stale)
    return len(abandoned) + len(stale)


def notifications_retry_failed(*, notification_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Give failed rows a fresh set of attempts (the admin's "resend failed"); other rows are untouched."""
    now = now or timezone.now()
    failed = Notification.objects.filter(status=Notification.Status.FAILED)
    if notification_ids is not None:
        failed = failed.filter(pk__in=notification_ids)
    ids = list(failed.values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids, status=Notification.Status.FAILED).update(
        status=Notification.Status.PENDING, attempts=0, next_attempt_at=now
    )
    for notification_id in ids:
        transaction.on_commit(lambda nid=notification_id: dispatch.delivery_retry(notification_id=nid, at=now))
    return len(ids)
