"""/healthz: the database, the broker and the sweeper's last run, as JSON for the load balancer and
the compose health check."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Heartbeat
from incidents.services.sweeper import SWEEPER, sweep
from safetrack.celery import app
from tests.live import free_port, wait_until

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker_and_a_sweeper_that_never_ran(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["broker"] == "ok"
    assert body["sweeper"] == "never ran" and body["sweeper_last_run"] is None


def test_healthz_shows_when_the_sweeper_last_ran(client):
    sweep()

    body = client.get("/healthz").json()

    assert body["sweeper"] == "ok" and body["sweeper_age_seconds"] < 5
    last_run = Heartbeat.objects.get(name=SWEEPER).at
    assert body["sweeper_last_run"] == last_run.isoformat()


def test_healthz_says_the_sweeper_is_late_after_a_minute_without_a_sweep(client, settings):
    settings.SWEEP_INTERVAL_SECONDS = 5
    sweep()
    Heartbeat.objects.filter(name=SWEEPER).update(at=timezone.now() - timedelta(seconds=90))

    response = client.get("/healthz")

    assert response.status_code == 200  # the web process itself is fine; the JSON says what is not
    assert response.json()["sweeper"] == "late" and response.json()["sweeper_age_seconds"] >= 90


def test_healthz_is_503_when_the_broker_cannot_be_reached(client, monkeypatch):
    monkeypatch.setattr(app.conf, "broker_url", f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and body["broker"].startswith("error: ") and body["database"] == "ok"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_healthz_sees_the_sweeps_of_a_real_beat_and_worker(client, celery_worker_process, celery_beat_process):
    worker = celery_worker_process(wait=False)
    celery_beat_process(wait=False).wait_ready()
    worker.wait_ready()

    wait_until(lambda: Heartbeat.objects.filter(name=SWEEPER).exists(), timeout=15, message="a first sweep")
    first = client.get("/healthz").json()["sweeper_last_run"]
    wait_until(lambda: client.get("/healthz").json()["sweeper_last_run"] != first, timeout=10, message="the next sweep")

    body = client.get("/healthz").json()
    assert (body["status"], body["broker"], body["sweeper"]) == ("ok", "ok", "ok")
    assert body["sweeper_age_seconds"] < 3  # SWEEP_INTERVAL_SECONDS is 1 in the live processes
