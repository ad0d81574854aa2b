"""The escalation engine through real Celery processes on Redis and PostgreSQL (tests/live.py): timers
on time, replays harmless, sweepers racing, Redis flushed, a worker killed mid-escalation, email
failing. Every test is bounded in time; policy timeouts are seconds."""

import itertools
import re
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from incidents.categories import Category
from incidents.models import Channel, EscalationLevel, Event, EventKind, Notification, Report, ReportStatus
from incidents.services.filing import report_file
from incidents.services.handling import report_acknowledge
from incidents.services.policy import policy_set_speed
from incidents.tasks import escalate_report, sweep
from incidents.trail import verify_trail
from tests.factories import draft, file_report
from tests.live import flush_redis, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

HOUR = timedelta(hours=1)
OUTCOME = re.compile(r"incidents\.tasks\.escalate_report\[[^\]]+\] succeeded in [\d.e-]+s: '(\w+)'")
RECEIVED = re.compile(r"incidents\.tasks\.escalate_report\[[^\]]+\] received")
CAUGHT_UP = re.compile(r"ran late: caught up (\d+) due reports")
SWEPT = re.compile(r"incidents\.tasks\.sweep\[[^\]]+\] succeeded in [\d.e-]+s: \{'escalated': (\d+)")


def _timeouts(production, first: timedelta, rest: timedelta | None = None, resolve: timedelta = HOUR) -> None:
    """Every level acknowledges within `first`, or level 1 within `first` and the others within `rest`."""
    policy_set_speed(policy=production.policy, per_level=rest or first, resolve=resolve)
    if rest is not None:
        EscalationLevel.objects.filter(policy=production.policy, number=1).update(
            critical_timeout=first, high_timeout=first, medium_timeout=first, low_timeout=first
        )


def _level(report_id: int) -> int:
    return Report.objects.values_list("escalation_level", flat=True).get(pk=report_id)


def _escalations(report_id: int) -> list[Event]:
    return list(Event.objects.filter(report_id=report_id, kind=EventKind.ESCALATED).order_by("seq"))


def _escalations_per_report() -> Counter:
    rows = Event.objects.filter(kind=EventKind.ESCALATED).values("report_id").annotate(n=Count("pk"))
    return Counter({row["report_id"]: row["n"] for row in rows})


def _outcomes(worker) -> Counter:
    return Counter(OUTCOME.findall(worker.log()))


def _wait_for_deliveries(timeout: float = 60) -> None:
    wait_until(
        lambda: not Notification.objects.filter(status__in=["pending", "sending"]).exists(),
        timeout=timeout,
        message="every notification to be delivered",
    )


def _file_overdue(production, reporter, count: int) -> list[int]:
    """Reports filed two minutes ago with a one-minute deadline: all due now (level 2 waits an hour). Level 1
    must reach someone (a department head), or filing passes it and starts at level 2."""
    _timeouts(production, first=timedelta(minutes=1), rest=HOUR)
    past = timezone.now() - timedelta(minutes=2)
    return [report_file(production=production, reporter=reporter, draft=draft(), now=past).pk for _ in range(count)]


@pytest.mark.worker
def test_a_report_climbs_every_level_on_time_and_stops_when_acknowledged(
    production, crew, ladder_cast, celery_worker_process
):
    _timeouts(production, timedelta(seconds=1))
    celery_worker_process()
    report = file_report(production, crew, Category.MISFIRE)

    wait_until(
        lambda: Event.objects.filter(report_id=report.pk, kind=EventKind.REMINDED).exists(),
        timeout=15,
        message="the report to reach the top and its first reminder",
    )
    result = report_acknowledge(report_id=report.pk, user=ladder_cast["executive"])

    assert result.won
    climbed = _escalations(report.pk) + list(
        Event.objects.filter(report_id=report.pk, kind=EventKind.REMINDED).order_by("seq")
    )
    assert [(e.payload["from_level"], e.payload["to_level"]) for e in climbed[:4]] == [(1, 2), (2, 3), (3, 4), (4, 5)]
    assert (climbed[4].kind, climbed[4].payload["level"], climbed[4].payload["reminder"]) == (EventKind.REMINDED, 5, 1)
    assert _level(report.pk) == 5  # the level never passes the top
    deadlines = [report.next_escalation_at] + [datetime.fromisoformat(e.payload["deadline"]) for e in climbed]
    lags = [(event.created_at - deadline).total_seconds() for event, deadline in zip(climbed, deadlines, strict=False)]
    assert all(0 <= lag < 1 for lag in lags), f"escalation lags past each deadline: {lags}"
    told = [set(e.notifications.filter(channel=Channel.IN_APP).values_list("recipient", flat=True)) for e in climbed]
    roles = ["safety", "upm", "producer", "executive", "executive"]
    assert told[:5] == [{ladder_cast[role].pk} for role in roles]

    time.sleep(2.5)  # two more deadlines would have passed
    report.refresh_from_db()
    assert (report.status, len(_escalations(report.pk)) + report.reminder_count) == (
        ReportStatus.ACKNOWLEDGED,
        len(climbed),
    )


@pytest.mark.worker
def test_a_duplicated_eta_task_escalates_once(production, crew, ladder_cast, celery_worker_process):
    _timeouts(production, first=timedelta(seconds=2), rest=HOUR)
    worker = celery_worker_process()
    report = file_report(production, crew, Category.MISFIRE)
    for _ in range(3):  # the filing queued one; the broker (or a buggy retry) delivers three more copies
        escalate_report.apply_async((report.pk, 1), eta=report.next_escalation_at)
    escalate_report.apply_async((report.pk, 1), eta=report.next_escalation_at + timedelta(milliseconds=300))

    wait_until(lambda: sum(_outcomes(worker).values()) >= 5, timeout=15, message="all five timers to run")

    assert _outcomes(worker) == Counter({"escalated": 1, "stale": 4})
    assert [e.payload["to_level"] for e in _escalations(report.pk)] == [2]
    assert Notification.objects.filter(event__kind=EventKind.ESCALATED, channel=Channel.IN_APP).count() == 1


@pytest.mark.worker
def test_a_timer_arriving_after_acknowledgement_changes_nothing(production, crew, ladder_cast, celery_worker_process):
    _timeouts(production, first=timedelta(seconds=1), rest=HOUR, resolve=HOUR)
    worker = celery_worker_process()
    report = file_report(production, crew, Category.MISFIRE)
    assert report_acknowledge(report_id=report.pk, user=ladder_cast["armorer"]).won

    wait_until(lambda: _outcomes(worker)["not_due"] == 1, timeout=10, message="the level-1 timer to run")
    escalate_report.delay(report.pk, 1)  # and a replay of it, later still
    wait_until(lambda: _outcomes(worker)["not_due"] == 2, timeout=10, message="the replayed timer to run")

    report.refresh_from_db()
    assert (report.status, report.escalation_level, report.acknowledged_by) == (
        ReportStatus.ACKNOWLEDGED,
        1,
        ladder_cast["armorer"],
    )
    assert _escalations(report.pk) == []


@pytest.mark.worker
def test_a_backlog_of_late_timers_drains_in_batches_and_escalates_each_report_once(
    production, crew, department_head, safety, celery_worker_process
):
    reports = _file_overdue(production, crew, 60)  # their timers wait in Redis, all already late
    worker = celery_worker_process(env={"SWEEP_BATCH_SIZE": "25"})

    wait_until(lambda: sum(_outcomes(worker).values()) == len(reports), timeout=30, message="every timer to run")

    assert _escalations_per_report() == Counter(dict.fromkeys(reports, 1))
    outcomes = _outcomes(worker)
    caught_up = sum(int(n) for n in CAUGHT_UP.findall(worker.log()))
    assert caught_up > 0, "late timers escalate the backlog in batches"
    assert (outcomes["escalated"] + caught_up, outcomes["stale"]) == (len(reports), caught_up)
    _wait_for_deliveries()
    assert [c for c in (verify_trail(r) for r in Report.objects.all()) if not c.intact] == []


@pytest.mark.worker
def test_two_sweepers_racing_escalate_each_due_report_exactly_once(
    production, crew, department_head, safety, celery_worker_process
):
    reports = _file_overdue(production, crew, 80)
    flush_redis()  # their timers are gone: only the sweepers can escalate them
    # The filing emails' tasks went with Redis too: a sweep re-queues them once they are a second late.
    env = {"SWEEP_BATCH_SIZE": "10", "NOTIFICATION_LOST_TASK_GRACE_SECONDS": "1"}
    workers = [celery_worker_process(concurrency=2, env=env, wait=False) for _ in range(2)]
    for worker in workers:
        worker.wait_ready()

    for _ in range(4):  # four sweeps at once, one per pool process of the two workers
        sweep.delay()
    wait_until(lambda: sum(len(SWEPT.findall(w.log())) for w in workers) == 4, timeout=30, message="the four sweeps")

    per_worker = [sum(int(n) for n in SWEPT.findall(w.log())) for w in workers]
    assert all(per_worker), f"both workers should have escalated some reports: {per_worker}"
    assert sum(per_worker) == len(reports)
    assert _escalations_per_report() == Counter(dict.fromkeys(reports, 1))
    assert set(Report.objects.values_list("escalation_level", flat=True)) == {2}
    assert Notification.objects.filter(event__kind=EventKind.ESCALATED, channel=Channel.IN_APP).count() == len(reports)
    time.sleep(1.5)
    sweep.delay()  # re-queues the filing emails whose tasks were flushed
    _wait_for_deliveries()  # each delivery appends to its report's trail
    assert [c for c in (verify_trail(r) for r in Report.objects.all()) if not c.intact] == []


@pytest.mark.worker
def test_after_redis_is_flushed_the_sweeper_still_escalates_every_due_report(
    production, crew, department_head, safety, celery_worker_process, celery_beat_process
):
    _timeouts(production, first=timedelta(seconds=3), rest=HOUR)
    doomed = celery_worker_process(name="doomed")
    reports = [file_report(production, crew).pk for _ in range(30)]
    wait_until(
        lambda: len(RECEIVED.findall(doomed.log())) >= 30, timeout=10, message="the worker to hold the 30 timers"
    )
    doomed.kill()  # the timers it held die with it...
    flush_redis()  # ...and Redis forgets every queued and unacknowledged task
    last_deadline = Report.objects.order_by("-next_escalation_at").values_list("next_escalation_at", flat=True)[0]
    time.sleep(max(0.0, (last_deadline - timezone.now()).total_seconds()) + 0.5)
    assert _escalations_per_report() == Counter(), "nothing runs: every deadline passed unseen"

    # The doomed worker may have died holding a claim on a filing email: the lease frees it quickly here.
    env = {"NOTIFICATION_LOST_TASK_GRACE_SECONDS": "1", "NOTIFICATION_CLAIM_LEASE_SECONDS": "3"}
    survivor = celery_worker_process(name="survivor", env=env, wait=False)
    celery_beat_process(env=env, wait=False).wait_ready()  # the sweeper, every second
    survivor.wait_ready()
    swept_from = timezone.now()
    wait_until(lambda: len(_escalations_per_report()) == len(reports), timeout=20, message="every report to escalate")

    assert _escalations_per_report() == Counter(dict.fromkeys(reports, 1))
    wait_until(
        lambda: sum(int(n) for n in SWEPT.findall(survivor.log())) == len(reports),
        timeout=5,
        message="the survivor's sweeps to report that they escalated them all",
    )
    lateness = max(e.created_at for e in Event.objects.filter(kind=EventKind.ESCALATED)) - swept_from
    assert lateness < timedelta(seconds=3), f"the first sweeps should catch up at once, took {lateness}"
    _wait_for_deliveries()
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def _worker_transactions() -> int:
    """Open transactions of other sessions on the test database (the worker's, here)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        )
        return cursor.fetchone()[0]


def _other_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.worker
def test_a_worker_killed_mid_escalation_loses_nothing_and_sends_each_email_once(
    production, crew, department_head, safety, celery_worker_process, celery_beat_process, smtp_sink
):
    batch, total = 10, 120
    reports = _file_overdue(production, crew, total)
    flush_redis()  # no timers: the sweeper does it all, in batches of 10, one transaction each
    env = {
        **smtp_sink.env,
        "SWEEP_BATCH_SIZE": str(batch),
        "NOTIFICATION_LOST_TASK_GRACE_SECONDS": "2",
        "NOTIFICATION_CLAIM_LEASE_SECONDS": "3",
    }
    doomed = celery_worker_process(name="doomed", concurrency=1, env=env, wait=False)
    celery_beat_process(env=env, wait=False).wait_ready()
    doomed.wait_ready()

    def mid_batch() -> bool:
        done = sum(_escalations_per_report().values())
        return batch <= done <= total - 2 * batch and _worker_transactions() > 0

    wait_until(mid_batch, timeout=30, interval=0.002, message="a sweep to be half-way, inside a batch")
    doomed.kill()
    wait_until(lambda: _other_sessions() == 0, timeout=10, message="PostgreSQL to end the dead worker's session")
    survived = sum(_escalations_per_report().values())
    assert survived % batch == 0 and survived < total, "the batch in flight was rolled back as a whole"

    celery_worker_process(name="survivor", env=env)
    wait_until(lambda: len(_escalations_per_report()) == total, timeout=60, message="every report to escalate")
    emails = Notification.objects.filter(
        channel=Channel.EMAIL
    )  # the department head's at filing, then the escalations'
    wait_until(
        lambda: (
            emails.filter(event__kind=EventKind.ESCALATED).count() == total
            and not emails.exclude(status="sent").exists()
        ),
        timeout=60,
        message="every email to be sent",
    )

    assert _escalations_per_report() == Counter(dict.fromkeys(reports, 1))
    assert [c for c in (verify_trail(r) for r in Report.objects.all()) if not c.intact] == []
    in_app = Notification.objects.filter(channel=Channel.IN_APP, event__kind=EventKind.ESCALATED)
    assert in_app.count() == total and set(in_app.values_list("recipient", flat=True)) == {safety.pk}
    received = Counter(message["X-SafeTrack-Notification"] for message in smtp_sink.messages())
    assert received == Counter({str(pk): 1 for pk in emails.values_list("pk", flat=True)})


@pytest.mark.worker
def test_a_failing_email_is_retried_with_backoff_then_failed_without_holding_back_inbox_or_escalation(
    production, crew, ladder_cast, celery_worker_process, smtp_refusing
):
    _timeouts(production, first=timedelta(seconds=2), rest=HOUR)
    env = {**smtp_refusing.env, "NOTIFICATION_MAX_ATTEMPTS": "3", "NOTIFICATION_RETRY_BASE_SECONDS": "1"}
    celery_worker_process(env=env)
    report = file_report(production, crew, Category.MISFIRE)  # level 1: the department head and the armorer
    first_emails = Notification.objects.filter(report=report, level=1, channel=Channel.EMAIL)

    wait_until(
        lambda: set(first_emails.values_list("status", flat=True)) == {"failed"},
        timeout=20,
        message="the level-1 emails to fail",
    )

    for email in first_emails.select_related("recipient"):
        assert email.attempts == 3 and "554" in email.last_error
        tries = [at for at, _outcome, to in smtp_refusing.attempts() if to == email.recipient.email]
        gaps = [later - earlier for earlier, later in itertools.pairwise(tries)]
        # 1 s, then 2 s (NOTIFICATION_RETRY_BASE_SECONDS=1, doubling), each timer at most 1.5 s late
        assert len(tries) == 3 and 0.9 < gaps[0] < 2.5 and 1.9 < gaps[1] < 3.5, f"retry gaps {gaps}"
    assert not Notification.objects.filter(report=report, channel=Channel.IN_APP).exclude(status="sent").exists()
    assert _level(report.pk) == 2  # the failing mail server never held back the escalation


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent sessions on one SQLite file serialize"
)
def test_concurrent_acknowledgements_have_one_winner_and_the_others_learn_who(production, crew, ladder_cast):
    handlers = list(ladder_cast.values())
    for _ in range(5):
        report = file_report(production, crew, Category.MISFIRE)
        start = threading.Barrier(len(handlers))
        results = {}

        def acknowledge(handler, report_id=report.pk, start=start, results=results):
            try:
                start.wait()
                results[handler.pk] = report_acknowledge(report_id=report_id, user=handler)
            finally:
                connection.close()  # each thread has its own PostgreSQL session

        threads = [threading.Thread(target=acknowledge, args=(handler,)) for handler in handlers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        winners = [pk for pk, result in results.items() if result.won]
        assert len(results) == len(handlers) and len(winners) == 1
        assert {result.acknowledged_by.pk for result in results.values()} == set(winners)
        assert report.events.filter(kind=EventKind.ACKNOWLEDGED).count() == 1
        told = Notification.objects.filter(report=report, event__kind=EventKind.ACKNOWLEDGED, channel=Channel.IN_APP)
        told_ids = set(told.values_list("recipient", flat=True))
        # The reporter, and everyone the report had reached (level 1), learn who took it; never the winner.
        assert crew.pk in told_ids and winners[0] not in told_ids


@pytest.mark.worker
def test_a_far_deadline_gets_its_timer_from_the_sweeper_when_it_comes_near(
    settings, production, crew, ladder_cast, celery_worker_process, celery_beat_process
):
    settings.ESCALATION_TIMER_HORIZON_SECONDS = 3  # filing arms deadlines within 3 s (+0.75 s slack)
    env = {"ESCALATION_TIMER_HORIZON_SECONDS": "3", "SWEEP_INTERVAL_SECONDS": "2"}
    _timeouts(production, first=timedelta(seconds=7), rest=HOUR)
    worker = celery_worker_process(env=env, wait=False)
    celery_beat_process(env=env, wait=False).wait_ready()
    worker.wait_ready()
    report = file_report(production, crew, Category.MISFIRE)

    time.sleep(2)
    assert not RECEIVED.findall(worker.log()), "a deadline 7 s away is beyond the horizon: no timer yet"
    wait_until(lambda: RECEIVED.findall(worker.log()), timeout=10, message="the sweeper to queue the timer")
    assert timezone.now() < report.next_escalation_at, "the sweeper queued the timer before the deadline"
    wait_until(lambda: _level(report.pk) == 2, timeout=15, message="the report to escalate")

    [escalated] = _escalations(report.pk)
    assert (escalated.created_at - report.next_escalation_at).total_seconds() < 0.5, "escalated on time"

    # The timer escalates it, unless a sweep happened to tick in the same instant and took the row first
    # (then the timer finds it done): either way once, and on time.
    def by_timer_and_sweeps() -> int:
        return _outcomes(worker)["escalated"] + sum(int(n) for n in SWEPT.findall(worker.log()))

    wait_until(by_timer_and_sweeps, timeout=10, message="the worker to log who escalated it")
    time.sleep(1)  # a second escalation, if there were one, would be logged by now
    assert by_timer_and_sweeps() == 1, f"escalated once, by the timer or a sweep: {_outcomes(worker)}"
