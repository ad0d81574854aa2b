"""PostgreSQL dropping a request's connection mid-transaction, and an SMTP server refusing every message."""

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from incidents.models import Channel, Event, Notification, Report
from support.invariants import invariants_check
from support.processes import report_form_data

from .conftest import CASE_TIMEOUT, LEVEL_ONE_SECONDS
from .steps import reports_file, wait_escalated, wait_settled

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.timeout(CASE_TIMEOUT)]


def _terminate_backend_before(statement: str):
    """An execute wrapper that, just before `statement` runs, has PostgreSQL kill this connection from
    another one (pg_terminate_backend): a database restart or a network cut in the middle of the
    request's transaction, as the server sees it."""
    fired = []

    def wrapper(execute, sql, params, many, context):
        if not fired and sql.startswith(statement):
            fired.append(sql)
            backend_pid = context["connection"].connection.info.backend_pid
            db = settings.DATABASES["default"]
            with psycopg.connect(
                dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432, autocommit=True
            ) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
        return execute(sql, params, many, context)

    return wrapper, fired


@pytest.mark.parametrize(
    "statement",
    ['INSERT INTO "incidents_event"', 'INSERT INTO "incidents_notification"'],
    ids=["before-the-filed-event", "before-the-notifications"],
)
def test_database_dropped_mid_filing_shows_a_clear_error_and_saves_nothing_half(
    transactional_db, fast_production, crew, ladder_cast, client, statement
):
    if connection.vendor != "postgresql":
        pytest.skip("terminates a PostgreSQL backend")
    client.raise_request_exception = False
    client.force_login(crew)
    url = reverse("report_new") + f"?production={fast_production.pk}"
    before = (Report.objects.count(), Event.objects.count(), Notification.objects.count())
    data = report_form_data(title="Cut mid-request", tz=fast_production.timezone)

    wrapper, fired = _terminate_backend_before(statement)
    with connection.execute_wrapper(wrapper):
        response = client.post(url, data)

    assert fired, f"the request never reached {statement}"
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "either saved completely or not at all" in page
    # The report row was written before the cut, in the same transaction: it went with it.
    assert (Report.objects.count(), Event.objects.count(), Notification.objects.count()) == before

    # The next request gets a fresh connection, and the same form files the report whole.
    response = client.post(url, data)
    assert response.status_code == 302
    report = Report.objects.get(title="Cut mid-request")
    assert report.notifications.filter(channel=Channel.IN_APP).count() == 2  # department head and armorer
    invariants_check(report_ids=[report.pk], titles=["Cut mid-request"], settled=False).assert_ok()


def test_smtp_refusing_every_message_marks_emails_failed_and_escalation_goes_on(
    fast_production, crew, fault_env, smtp_refusing, celery_worker_process, celery_beat_process
):
    fault_env.update(smtp_refusing.env)
    fault_env["NOTIFICATION_MAX_ATTEMPTS"] = "2"
    celery_worker_process(concurrency=2)
    celery_beat_process()
    ids, titles = reports_file(fast_production, crew, 3, "Refused")

    wait_escalated(ids, timeout=LEVEL_ONE_SECONDS + 20)  # mail failing never holds up escalation
    wait_settled(ids, timeout=40)

    emails = Notification.objects.filter(report_id__in=ids, channel=Channel.EMAIL)
    assert emails.count() == 9  # filed: department head and armorer; escalated: safety; three reports
    assert set(emails.values_list("status", flat=True)) == {Notification.Status.FAILED}
    assert all("554" in error for error in emails.values_list("last_error", flat=True))
    assert set(emails.values_list("attempts", flat=True)) == {2}
    assert len(smtp_refusing.attempts()) == 9 * 2, "each email tried exactly NOTIFICATION_MAX_ATTEMPTS times"
    in_app = Notification.objects.filter(report_id__in=ids, channel=Channel.IN_APP)
    assert set(in_app.values_list("status", flat=True)) == {Notification.Status.SENT}

    result = invariants_check(report_ids=ids, titles=titles, email_message_ids=[])
    result.assert_ok()
    assert result.escalations == len(ids)
