"""Hand work to Celery after the transaction commits. The database stays the source of truth: if the
broker is down, the sweeper finds the due reports and pending notifications later.

ETA tasks are only queued for deadlines within the timer horizon (ESCALATION_TIMER_HORIZON_SECONDS):
a Redis worker holds an ETA task unacknowledged until it runs, and Redis redelivers any message left
unacknowledged past its visibility timeout, so a far ETA would be copied once per timeout while it
waits. Later deadlines are queued by the sweeper (`sweeper.timers_arm`) as they come within the horizon.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu import Producer
from kombu.exceptions import OperationalError as KombuOperationalError

from incidents.models import Report
from safetrack.celery import app
from safetrack.task_names import DELIVER_NOTIFICATIONS, ESCALATE_ACTION, ESCALATE_REPORT

logger = logging.getLogger(__name__)

PUBLISH_BATCH_SIZE = 500  # Redis commands per pipeline round trip
EARLY_TIMER_RETRY = timedelta(seconds=2)  # a timer this close to its deadline is queued again for it


def timer_horizon() -> timedelta:
    return timedelta(seconds=settings.ESCALATION_TIMER_HORIZON_SECONDS)


def within_horizon(at: datetime, now: datetime | None = None) -> bool:
    # Whoever sets a deadline queues its timer a little past the horizon (up to a minute), so a deadline
    # set by a transaction that commits after the sweeper looked at that part of the horizon is armed.
    slack = min(timedelta(seconds=60), timer_horizon() / 4)
    return at - (now or timezone.now()) <= timer_horizon() + slack


Message = tuple[str, list[object], datetime | None]  # task name, arguments, ETA


class _AfterCommit:
    """The messages of one transaction (one savepoint level of it), published together once it commits:
    a filing queues its deliveries and its escalation timer, and one producer and one pipeline carry
    both (each acquisition and round trip cost as much as the messages themselves)."""

    def __init__(self, savepoint_ids: list[str]):
        self.savepoint_ids = savepoint_ids
        self.messages: list[Message] = []
        self.sent = False

    def __call__(self) -> None:
        self.sent = True
        _send_many(self.messages)


def _send_after_commit(messages: list[Message]) -> None:
    """Queue the messages once the current transaction commits (at once outside one), with any others
    this transaction queued at the same savepoint level. A batch registered in a savepoint that was rolled
    back is gone from Django's on-commit list with its messages, and a new one is started."""
    if not messages:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _send_many(messages)
        return
    batch = getattr(connection, "_safetrack_after_commit", None)
    current = (
        batch is not None
        and not batch.sent
        and batch.savepoint_ids == connection.savepoint_ids
        and any(callback is batch for _sids, callback, _robust in connection.run_on_commit)
    )
    if not current:
        batch = _AfterCommit(list(connection.savepoint_ids))
        connection._safetrack_after_commit = batch
        transaction.on_commit(batch)
    batch.messages.extend(messages)


def _send(name: str, args: list[object], eta: datetime | None = None) -> None:
    _send_many([(name, args, eta)])


def _send_many(messages: list[Message]) -> None:
    """Publish the messages over one producer, in one Redis pipeline (kombu's publish batch): a
    sweeper batch queues hundreds at once, and one at a time each cost a broker round trip and a new
    Redis client, most of the sweeper's CPU. Transports without batches publish them one by one.

    The broker being away must never break or slow down filing or acknowledging: one connection
    attempt, no retry loop (kombu's default keeps retrying a new connection for seconds, per message),
    and on a connection error the messages not yet queued are left to the sweeper."""
    if not messages:
        return
    try:
        with app.producer_or_acquire() as producer:
            producer.connection.ensure_connection(max_retries=0)
            with producer.batch(max_size=PUBLISH_BATCH_SIZE):
                _publish(producer, messages)
    except Exception as exc:
        logger.warning(
            "broker unreachable: %d messages not queued (%s); the sweeper will pick them up", len(messages), exc
        )


def _publish(producer: Producer, messages: list[Message]) -> None:
    for number, (name, args, eta) in enumerate(messages):
        try:
            app.send_task(name, args=args, eta=eta, retry=False, producer=producer)
        except KombuOperationalError:
            logger.warning(
                "broker unreachable: %d messages not queued (%s%s first); the sweeper will pick them up",
                len(messages) - number,
                name,
                args,
            )
            return
        except Exception:
            logger.warning("could not enqueue %s%s; the sweeper will pick it up", name, args, exc_info=True)


def escalation_schedule(*, report_id: int, level: int, at: datetime | None) -> None:
    """After commit, queue an ETA task for the report's next deadline (if it is within the horizon)."""
    escalations_schedule([(report_id, level, at)])


def escalations_schedule(timers: Iterable[tuple[int, int, datetime | None]]) -> None:
    """`escalation_schedule` for many reports at once (a sweeper batch): one after-commit hook."""
    messages: list[Message] = [
        (ESCALATE_REPORT, [report_id, level], at) for report_id, level, at in timers if at and within_horizon(at)
    ]
    _send_after_commit(messages)


def action_escalation_schedule(*, action_id: int, step: int, at: datetime | None) -> None:
    """After commit, queue the ETA task of a corrective action's next step, if it is within the horizon.
    Due dates are days away: most are taken by the sweeper (`action_escalation.actions_escalate_due`)
    within a sweep of falling due, which is punctual enough for them."""
    if at and within_horizon(at):
        _send_after_commit([(ESCALATE_ACTION, [action_id, step], at)])


def escalation_retry_early(*, report_id: int, level: int) -> None:
    """A timer woke a little before its deadline (clock skew between machines): queue it again for the
    deadline. A deadline further away was moved (reopened at the same level) and has its own timer;
    the sweeper covers both anyway."""
    deadline = Report.objects.filter(pk=report_id).values_list("next_escalation_at", flat=True).first()
    if deadline is not None and deadline - timezone.now() < EARLY_TIMER_RETRY:
        _send(ESCALATE_REPORT, [report_id, level], eta=deadline)


def escalation_timers_send(timers: Iterable[tuple[int, int, datetime]]) -> None:
    """Queue the ETA tasks of (report id, level, deadline) timers now (the sweeper's arming)."""
    _send_many([(ESCALATE_REPORT, [report_id, level], at) for report_id, level, at in timers])


def deliveries_schedule(notification_ids: Iterable[int]) -> None:
    """One task for the notifications a transaction created (in chunks of DELIVERY_BATCH_SIZE), on the
    delivery queue: the worker claims, sends and records them together."""
    ids = list(notification_ids)
    size = settings.DELIVERY_BATCH_SIZE
    _send_after_commit([(DELIVER_NOTIFICATIONS, [ids[i : i + size]], None) for i in range(0, len(ids), size)])


def delivery_retry(*, notification_id: int, at: datetime) -> None:
    """Queue the delivery for `at`; one beyond the horizon is left to the sweeper's `notifications_recover`."""
    if within_horizon(at):
        _send(DELIVER_NOTIFICATIONS, [[notification_id]], eta=at)
