"""Workers and beat going away: killed mid-escalation, beat stopped past a deadline, two beats at once.

Each case runs real `celery worker` / `celery beat` processes against the test database and checks the
same invariants afterwards (support/invariants.py): every report there, each level escalated
exactly once, every notification sent once or marked failed, every trail intact."""

import time
from datetime import timedelta

import pytest

from incidents.models import Event, EventKind
from support.invariants import invariants_check
from tests.live import wait_until

from .conftest import CASE_TIMEOUT, LEVEL_ONE_SECONDS, SWEEP_INTERVAL_SECONDS
from .steps import escalated_to, escalation_lags, escalation_times, reports_file, wait_escalated, wait_settled

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.timeout(CASE_TIMEOUT)]


def test_a_worker_killed_mid_escalation_loses_nothing_and_repeats_nothing(
    fast_production, crew, fault_env, smtp_sink, celery_worker_process, celery_beat_process
):
    fault_env.update(smtp_sink.env)
    doomed = celery_worker_process(name="doomed", concurrency=1)
    ids, titles = reports_file(fast_production, crew, 60, "Kill")

    # The 60 timers fire together and one worker process works through them: SIGKILL it (and its pool)
    # as soon as the first escalation lands, with the rest queued, reserved or half-done.
    wait_until(
        lambda: Event.objects.filter(report_id__in=ids, kind=EventKind.ESCALATED).exists(),
        timeout=LEVEL_ONE_SECONDS + 30,
        interval=0.01,
        message="the first escalation",
    )
    doomed.kill()
    escalated_before_kill = escalated_to(ids, 2)
    assert escalated_before_kill < len(ids), "the worker finished before it was killed: nothing was tested"

    # The killed worker's reserved timers stay unacknowledged in Redis for the visibility timeout (an
    # hour): the sweeper, not a redelivery, must pick up the rest, and deliveries it had claimed come
    # back after the claim lease.
    celery_worker_process(name="survivor", concurrency=2)
    celery_beat_process()
    wait_escalated(ids, timeout=30)
    wait_settled(ids, timeout=40)

    messages = [m["Message-ID"] for m in smtp_sink.messages()]
    result = invariants_check(report_ids=ids, titles=titles, email_message_ids=messages, allow_resent_emails=True)
    result.assert_ok()
    assert result.escalations == len(ids)
    print(f"killed with {escalated_before_kill}/{len(ids)} escalated; after recovery: {result.summary()}")


def test_with_beat_stopped_past_a_deadline_timers_still_escalate_on_time_and_the_rest_on_its_return(
    fast_production, crew, fault_env, settings, celery_worker_process, celery_beat_process
):
    celery_worker_process(concurrency=2)
    beat = celery_beat_process()
    beat.stop()
    timed, timed_titles = reports_file(fast_production, crew, 5, "Timed")
    # Deadlines beyond the timer horizon get no ETA task when they are set: only a sweep escalates
    # them (or queues their timer once they come near), and no sweep runs while beat is away.
    settings.ESCALATION_TIMER_HORIZON_SECONDS = 1
    untimed, untimed_titles = reports_file(fast_production, crew, 5, "Untimed")

    time.sleep(LEVEL_ONE_SECONDS * 3)  # beat stays away for three times the level's timeout
    assert escalated_to(timed, 2) == len(timed), "the ETA timers must escalate without beat"
    assert max(escalation_lags(timed, level_one=timedelta(seconds=LEVEL_ONE_SECONDS))) < 2.0
    assert escalated_to(untimed, 2) == 0, "nothing but a sweep could have escalated these"

    back = time.monotonic()
    celery_beat_process(name="beat-again")
    wait_escalated(untimed, timeout=20)
    caught_up = time.monotonic() - back
    times = escalation_times(untimed)  # one sweep, or two that overlapped and shared them: not one per sweep
    spread = (max(times) - min(times)).total_seconds()
    assert spread < SWEEP_INTERVAL_SECONDS, f"the first sweep after beat's return escalates them all ({spread:.3f}s)"
    wait_settled(timed + untimed, timeout=30)

    result = invariants_check(report_ids=timed + untimed, titles=timed_titles + untimed_titles)
    result.assert_ok()
    assert result.escalations == len(timed) + len(untimed)
    print(f"beat back: overdue reports escalated {caught_up:.1f}s after it started; {result.summary()}")


def test_two_beats_at_once_escalate_each_report_exactly_once(
    fast_production, crew, fault_env, celery_worker_process, celery_beat_process
):
    celery_worker_process(concurrency=3)
    first, second = celery_beat_process(name="beat1"), celery_beat_process(name="beat2")
    ids, titles = reports_file(fast_production, crew, 80, "Two beats")
    # Both beats queue a sweep every second, the ETA timers fire at the deadline too: three paths race
    # for the same rows, and the compare-and-set lets exactly one of them escalate each report.
    wait_escalated(ids, timeout=30)
    time.sleep(3)  # a few more rounds of both sweepers over the escalated reports
    wait_settled(ids, timeout=30)

    assert "Sending due task" in first.log()
    assert "Sending due task" in second.log()
    result = invariants_check(report_ids=ids, titles=titles)
    result.assert_ok()
    assert result.escalations == len(ids)
