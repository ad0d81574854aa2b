"""Redis going away or losing everything. Each case runs its OWN redis-server on a free port (the
machine's shared Redis is never stopped or flushed), used by the worker, beat, the web process and
this test process alike."""

import time

import pytest

from incidents.models import Report
from support.invariants import invariants_check

from .conftest import CASE_TIMEOUT, LEVEL_ONE_SECONDS, SWEEP_INTERVAL_SECONDS
from .steps import escalated_to, escalation_times, reports_file, wait_escalated, wait_settled

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.timeout(CASE_TIMEOUT)]


def test_filing_answers_while_redis_is_down_and_escalation_catches_up_in_the_first_sweep_after(
    fast_production, crew, own_redis, celery_worker_process, celery_beat_process, web_process, browser_for
):
    celery_worker_process(concurrency=2)
    celery_beat_process()
    browser = browser_for(crew, web_process())
    own_redis.stop()

    titles = [f"Redis down #{n}" for n in range(5)]
    for title in titles:
        response = browser.file_report(production_id=fast_production.pk, title=title, tz=fast_production.timezone)
        assert response.status_code == 302, response.text[:500]
        assert "/filed/" in response.headers["Location"]
        assert browser.http.get(browser.base_url + response.headers["Location"], timeout=15).status_code == 200
    ids = list(Report.objects.filter(title__in=titles).values_list("pk", flat=True))
    assert len(ids) == len(titles), "every report is saved although its deliveries and timer could not be queued"

    time.sleep(LEVEL_ONE_SECONDS + 2)
    assert escalated_to(ids, 2) == 0, "no broker, no sweep: nothing can have escalated"

    own_redis.start()  # same port, empty: a restarted Redis without a volume
    back = time.monotonic()
    wait_escalated(ids, timeout=45)
    caught_up = time.monotonic() - back
    # Beat queues the sweeps it missed while Redis was away, so two may run at once and share the
    # overdue reports; what matters is that they all went in the first catch-up, not one per sweep.
    times = escalation_times(ids)
    spread = (max(times) - min(times)).total_seconds()
    assert spread < SWEEP_INTERVAL_SECONDS, f"all escalated in the first sweep back ({spread:.3f}s apart)"
    wait_settled(ids, timeout=30)

    result = invariants_check(report_ids=ids, titles=titles)
    result.assert_ok()
    assert result.escalations == len(ids)
    print(f"Redis back: the overdue reports escalated {caught_up:.1f}s later (worker and beat reconnecting)")


def test_redis_flushed_twice_loses_no_escalation_and_no_delivery(
    fast_production, crew, own_redis, celery_worker_process, celery_beat_process
):
    # Queued while no worker runs, then wiped: their timers and deliveries exist only in the database.
    queued, queued_titles = reports_file(fast_production, crew, 10, "Flushed queued")
    own_redis.flushall()
    celery_worker_process(concurrency=2)
    celery_beat_process()
    # Filed with a worker holding their timers; the flush then takes the unacknowledged copies, the
    # pending deliveries and the sweeper's "timers armed until" mark.
    running, running_titles = reports_file(fast_production, crew, 10, "Flushed running")
    time.sleep(0.5)
    own_redis.flushall()

    ids = queued + running
    wait_escalated(ids, timeout=30)
    wait_settled(ids, timeout=30)
    result = invariants_check(report_ids=ids, titles=queued_titles + running_titles)
    result.assert_ok()
    assert result.escalations == len(ids)
