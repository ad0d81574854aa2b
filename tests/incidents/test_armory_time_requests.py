"""The armorer's time: a request for time or resources for safety work, approved or refused by the UPM
or a producer. A refusal names who refused and tells the level above them and the safety coordinator;
an unanswered request becomes a report that escalates like any other."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from incidents.access import may_act_on
from incidents.armory_chain import armory_trail_check
from incidents.ladder import ladder_for
from incidents.models import (
    ArmoryEvent,
    ArmoryEventKind,
    ArmoryGap,
    GapKind,
    Notification,
    Report,
    TimeRequest,
    TimeRequestStatus,
)
from incidents.services.armory.time_requests import (
    time_request_answer,
    time_request_make,
    time_requests_escalate_due,
)
from incidents.services.escalation import reports_escalate_due
from incidents.services.handling import report_acknowledge
from incidents.services.sweeper import sweep

pytestmark = pytest.mark.django_db


def _ask(production, user, **fields) -> TimeRequest:
    values = {
        "kind": "securing",
        "what": "Two hours before call to lock the weapons away",
        "reason": "The truck has no safe; the guns sat on a cart at lunch.",
        "needed_on": timezone.localdate() + timedelta(days=2),
    }
    values.update(fields)
    return time_request_make(production=production, user=user, **values)


def _notified(report: Report) -> set[int]:
    return set(Notification.objects.filter(report=report).values_list("recipient_id", flat=True))


def test_a_time_request_sent_again_with_its_submission_key_returns_the_first_and_files_nothing(
    production, armorer, department_head
):
    key = uuid.uuid4()

    first = _ask(production, armorer, idempotency_key=key)
    again = _ask(production, armorer, idempotency_key=key)
    theirs = _ask(production, department_head, idempotency_key=key)  # the key is unique per requester

    assert again == first and theirs != first
    assert TimeRequest.objects.count() == 2
    assert ArmoryEvent.objects.filter(kind=ArmoryEventKind.TIME_REQUESTED).count() == 2
    assert armory_trail_check(production.pk).intact


def test_the_same_request_sent_again_with_a_new_key_after_going_back_is_the_one_already_asked(production, armorer):
    # "Back" reopens the form with a new key and what was typed: sending it again asks nothing new.
    first = _ask(production, armorer, idempotency_key=uuid.uuid4())
    assert _ask(production, armorer, idempotency_key=uuid.uuid4()) == first
    assert TimeRequest.objects.count() == 1


def test_different_words_or_the_same_ten_minutes_later_are_a_new_request(production, armorer):
    first = _ask(production, armorer)
    assert _ask(production, armorer, what="One hour to train the new loader") != first
    later = timezone.now() + timedelta(minutes=11)
    assert _ask(production, armorer, now=later) != first
    assert TimeRequest.objects.count() == 3


def test_a_refused_time_request_names_who_refused_and_tells_the_level_above_and_the_safety_coordinator(
    production, ladder_cast
):
    armorer, upm, producer, safety = (ladder_cast[r] for r in ("armorer", "upm", "producer", "safety"))
    request = _ask(production, armorer)

    time_request_answer(request_id=request.pk, user=upm, approve=False, answer="No budget for overtime")

    request.refresh_from_db()
    assert (request.status, request.answered_by) == (TimeRequestStatus.REFUSED, upm)
    refused = ArmoryEvent.objects.get(kind=ArmoryEventKind.TIME_REFUSED)
    assert refused.actor == upm and refused.payload["answered_by_name"] == "Una Manager"
    report = Report.objects.get()
    assert ArmoryGap.objects.get(report=report).kind == GapKind.TIME_REFUSED
    assert "Una Manager" in report.title and "No budget for overtime" in report.description
    assert report.escalation_level == 4  # the producers': the level above the UPM
    told = _notified(report)
    assert producer.pk in told and safety.pk in told
    assert upm.pk not in told and ladder_cast["department_head"].pk not in told
    assert armory_trail_check(production.pk).intact


def test_a_producer_refusing_tells_the_executives(production, ladder_cast):
    request = _ask(production, ladder_cast["armorer"])
    time_request_answer(request_id=request.pk, user=ladder_cast["producer"], approve=False, answer="Not now")

    report = Report.objects.get()
    assert report.escalation_level == 5
    assert ladder_cast["executive"].pk in _notified(report)


def test_a_producer_who_refuses_time_for_safety_work_cannot_acknowledge_the_report_about_the_refusal(
    production, ladder_cast
):
    producer, executive, safety = (ladder_cast[r] for r in ("producer", "executive", "safety"))
    request = _ask(production, ladder_cast["armorer"])
    time_request_answer(request_id=request.pk, user=producer, approve=False, answer="Not now")

    report = Report.objects.get()
    assert report.concerns_person == producer
    assert producer.pk not in _notified(report)
    assert {executive.pk, safety.pk} <= _notified(report)
    assert not may_act_on(producer, report, ladder_for(production))
    with pytest.raises(PermissionDenied, match="it is about you"):
        report_acknowledge(report_id=report.pk, user=producer)
    assert report_acknowledge(report_id=report.pk, user=executive).won


def test_an_approved_request_files_nothing(production, ladder_cast):
    request = _ask(production, ladder_cast["department_head"])
    time_request_answer(request_id=request.pk, user=ladder_cast["producer"], approve=True, answer="")

    assert TimeRequest.objects.get().status == TimeRequestStatus.APPROVED
    assert not Report.objects.exists()


def test_an_answer_is_given_once(production, ladder_cast):
    request = _ask(production, ladder_cast["armorer"])
    time_request_answer(request_id=request.pk, user=ladder_cast["upm"], approve=True, answer="")

    with pytest.raises(ValidationError) as again:
        time_request_answer(request_id=request.pk, user=ladder_cast["producer"], approve=False, answer="No")
    assert again.value.code == "answered"
    assert TimeRequest.objects.get().status == TimeRequestStatus.APPROVED


def test_a_refusal_needs_its_reason(production, ladder_cast):
    request = _ask(production, ladder_cast["armorer"])
    with pytest.raises(ValidationError):
        time_request_answer(request_id=request.pk, user=ladder_cast["upm"], approve=False, answer="   ")
    assert TimeRequest.objects.get().status == TimeRequestStatus.PENDING


@pytest.mark.parametrize("who", ["crew"])
def test_crew_cannot_ask_for_time(request, production, who):
    with pytest.raises(PermissionDenied):
        _ask(production, request.getfixturevalue(who))


@pytest.mark.parametrize("who", ["crew", "department_head", "armorer", "safety"])
def test_only_the_upm_and_above_answer(request, production, ladder_cast, crew, who):
    asked = _ask(production, ladder_cast["armorer"] if who != "armorer" else ladder_cast["department_head"])
    with pytest.raises(PermissionDenied):
        time_request_answer(request_id=asked.pk, user=request.getfixturevalue(who), approve=True, answer="")


def test_nobody_answers_their_own_request(production, ladder_cast):
    asked = _ask(production, ladder_cast["upm"])
    with pytest.raises(PermissionDenied):
        time_request_answer(request_id=asked.pk, user=ladder_cast["upm"], approve=True, answer="")


def test_an_unanswered_request_files_a_report_at_the_upm_that_escalates_like_any_other(production, ladder_cast):
    request = _ask(production, ladder_cast["armorer"])
    assert request.answer_by <= timezone.now() + timedelta(hours=12)

    assert time_requests_escalate_due(now=request.answer_by - timedelta(seconds=1)) == 0
    assert sweep(now=request.answer_by).armory == 1

    report = Report.objects.get()
    assert ArmoryGap.objects.get(report=report).kind == GapKind.TIME_UNANSWERED
    assert report.escalation_level == 3 and ladder_cast["upm"].pk in _notified(report)
    assert time_requests_escalate_due(now=request.answer_by + timedelta(hours=1)) == 0  # once
    reports_escalate_due(now=report.next_escalation_at + timedelta(seconds=1))
    report.refresh_from_db()
    assert report.escalation_level == 4
    assert armory_trail_check(production.pk).intact


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"what": " "}, "what"),
        ({"what": "x" * 201}, "what"),
        ({"reason": ""}, "reason"),
        ({"reason": "r" * 1001}, "reason"),
        ({"kind": "<script>"}, "kind"),
        ({"needed_on": timezone.localdate() - timedelta(days=3)}, "needed_on"),
        ({"needed_on": timezone.localdate().replace(year=9999)}, "needed_on"),
    ],
)
def test_a_request_with_bad_input_is_refused(production, armorer, fields, code):
    with pytest.raises(ValidationError) as refused:
        _ask(production, armorer, **fields)
    assert refused.value.code == code
    assert not TimeRequest.objects.exists()
