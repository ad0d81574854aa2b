"""What a transaction queues for the worker goes out once it commits, in one publish: a filing's deliveries
and its escalation timer share one producer and one Redis pipeline; nothing from a rolled-back savepoint
or a rolled-back transaction is ever sent."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from incidents.categories import Severity
from incidents.models import Notification, Report
from incidents.services import dispatch
from incidents.services.filing import report_file
from safetrack.task_names import DELIVER_NOTIFICATIONS, ESCALATE_REPORT
from tests.factories import draft


@pytest.fixture
def published(monkeypatch):
    """Every publish the app makes, as the list of messages it carried (the broker is not reached)."""
    batches: list[list[dispatch.Message]] = []
    monkeypatch.setattr(dispatch, "_send_many", lambda messages: batches.append(list(messages)))
    return batches


@pytest.mark.django_db(transaction=True)
def test_a_filing_queues_its_deliveries_and_its_timer_in_one_publish_after_it_commits(
    published, production, crew, ladder_cast
):
    # Critical: its first deadline is minutes away, within the timer horizon, so its timer is queued now.
    report = report_file(production=production, reporter=crew, draft=draft(severity=Severity.CRITICAL))

    assert len(published) == 1, "one publish for the whole filing"
    names = [name for name, _args, _eta in published[0]]
    pending = Notification.objects.filter(report=report, status=Notification.Status.PENDING)
    assert pending.exists()
    assert names.count(ESCALATE_REPORT) == 1
    # One delivery task carries every notification of the filing.
    assert names.count(DELIVER_NOTIFICATIONS) == 1
    (deliveries,) = [args for name, args, _eta in published[0] if name == DELIVER_NOTIFICATIONS]
    assert sorted(deliveries[0]) == sorted(pending.values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_nothing_is_published_before_the_commit_or_after_a_rollback(published, production, crew, ladder_cast):
    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        report_file(production=production, reporter=crew, draft=draft())
        assert published == [], "nothing leaves before the commit"
        raise Refused

    assert published == []
    assert not Report.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_messages_of_a_rolled_back_savepoint_are_not_sent_but_the_rest_of_the_transaction_is(published):
    soon = timezone.now() + timedelta(minutes=5)
    with transaction.atomic():
        dispatch.escalation_schedule(report_id=1, level=1, at=soon)
        try:
            with transaction.atomic():
                dispatch.escalation_schedule(report_id=2, level=1, at=soon)
                dispatch.deliveries_schedule([20, 21])
                raise RuntimeError
        except RuntimeError:
            pass
        dispatch.deliveries_schedule([10])

    sent = [(name, args) for batch in published for name, args, _eta in batch]
    assert sorted(sent) == sorted([(ESCALATE_REPORT, [1, 1]), (DELIVER_NOTIFICATIONS, [[10]])])


@pytest.mark.django_db(transaction=True)
def test_each_transaction_publishes_its_own_messages_once(published):
    soon = timezone.now() + timedelta(minutes=5)
    with transaction.atomic():
        dispatch.deliveries_schedule([1])
    with transaction.atomic():
        dispatch.deliveries_schedule([2])
        dispatch.escalation_schedule(report_id=7, level=2, at=soon)
    dispatch.deliveries_schedule([3])  # outside a transaction: at once

    assert [[args for _name, args, _eta in batch] for batch in published] == [[[[1]]], [[[2]], [7, 2]], [[[3]]]]
