"""The schedule, the safety meeting and the time requests on a phone, without JavaScript: the check-out
page warns and refuses a firearm on a day with no firearms day or before its meeting, and offers the
armorer the override, crew confirm attendance with one tap, refusals land on their field, and hostile
input changes nothing."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import (
    ArmoryEvent,
    ArmoryEventKind,
    CustodyRecord,
    GapKind,
    MeetingAttendance,
    Report,
    SafetyMeeting,
    ShootingDay,
    TimeRequest,
    TimeRequestStatus,
)
from incidents.services.armory.days import DayPlan, day_schedule, meeting_record
from incidents.services.armory.time_requests import time_request_make
from tests.factories import member, weapon

pytestmark = pytest.mark.django_db

HOSTILE = [
    "<script>alert(1)</script>",
    "'; DROP TABLE incidents_shootingday; --",
    "\x00\x1b[31m",
    "‮evil",
    "A" * 5000,
]


@pytest.fixture
def actor(production):
    return member(production, full_name="Rhett Actor", department="cast")


@pytest.fixture
def revolver(production, armorer):
    return weapon(production, armorer)


def _today(production):
    return timezone.localtime(timezone.now(), production.tzinfo).date()


@pytest.fixture
def firearms_day(production, safety):
    plan = DayPlan(date=_today(production), scenes="12, 14A", first_scene=time(7, 0), wrap=time(19, 0), firearms=True)
    return day_schedule(production=production, user=safety, plan=plan)


def _checkout(actor, safety, **fields):
    return {
        "handed_to": str(actor.pk),
        "first_ad": str(safety.pk),
        "scene": "12",
        "load": "cold",
        "checked": "on",
        **fields,
    }


def test_the_check_out_page_says_the_meeting_is_missing_and_refuses(
    client, production, armorer, safety, actor, revolver, firearms_day
):
    client.force_login(safety)
    url = reverse("armory_check_out", args=[production.pk, revolver.pk])
    page = client.get(url).content.decode()
    assert "safety meeting is not recorded yet" in page
    assert 'name="meeting_override"' not in page  # only the armorer overrides

    refused = client.post(url, _checkout(actor, armorer)).content.decode()

    assert "Only the armorer can check it out anyway" in refused
    assert not CustodyRecord.objects.exists()


def test_the_armorer_overrides_on_the_check_out_page_and_is_told_the_coordinator_knows(
    client, production, armorer, safety, actor, revolver, firearms_day
):
    client.force_login(armorer)
    url = reverse("armory_check_out", args=[production.pk, revolver.pk])
    assert 'name="meeting_override"' in client.get(url).content.decode()

    response = client.post(url, _checkout(actor, safety, meeting_override="Dawn insert, meeting at 8"), follow=True)

    record = CustodyRecord.objects.get()
    assert record.meeting_override == "Dawn insert, meeting at 8"
    assert "the safety coordinator is told" in response.content.decode()
    assert Report.objects.get().armory_gap.kind == GapKind.MEETING_OVERRIDDEN


def test_the_check_out_page_warns_before_the_form_that_today_is_not_a_firearms_day_and_refuses(
    client, production, armorer, safety, actor, revolver
):
    client.force_login(safety)
    url = reverse("armory_check_out", args=[production.pk, revolver.pk])
    page = client.get(url).content.decode()
    warning = page.index("Today is not a firearms day on the schedule")
    assert warning < page.index('name="handed_to"')  # before the armorer fills the form
    assert reverse("days", args=[production.pk]) in page  # where the safety coordinator schedules one
    assert 'name="meeting_override"' not in page  # only the armorer overrides

    refused = client.post(url, _checkout(actor, armorer)).content.decode()

    assert "Only the armorer can check it out anyway" in refused
    assert not CustodyRecord.objects.exists() and not Report.objects.exists()


def test_the_check_out_page_says_todays_shooting_day_is_not_flagged_for_firearms_and_links_to_it(
    client, production, armorer, safety, actor, revolver
):
    plan = DayPlan(date=_today(production), scenes="3", first_scene=time(7, 0), wrap=time(19, 0), stunts=True)
    day = day_schedule(production=production, user=safety, plan=plan)
    client.force_login(armorer)

    page = client.get(reverse("armory_check_out", args=[production.pk, revolver.pk])).content.decode()

    assert "Today is not a firearms day on the schedule" in page
    assert day.get_absolute_url() in page
    assert 'name="meeting_override"' in page
    assert "Check it out anyway, with no firearms day today, because" in page


def test_the_armorer_checks_a_firearm_out_on_the_page_with_no_firearms_day_and_is_told_the_coordinator_knows(
    client, production, armorer, safety, actor, revolver
):
    client.force_login(armorer)
    url = reverse("armory_check_out", args=[production.pk, revolver.pk])

    refused = client.post(url, _checkout(actor, safety)).content.decode()
    assert "Today is not a firearms day on the schedule" in refused
    assert not CustodyRecord.objects.exists()

    response = client.post(url, _checkout(actor, safety, meeting_override="Pickup shot"), follow=True)

    record = CustodyRecord.objects.get()
    assert record.meeting_override == "Pickup shot"
    page = response.content.decode()
    assert "is out with no firearms day today: the safety coordinator is told" in page
    assert "No firearms day" in page  # the custody record says which gate it went past
    assert Report.objects.get().armory_gap.kind == GapKind.NO_FIREARMS_DAY


def test_a_firearms_day_with_its_meeting_recorded_shows_no_warning_and_the_gun_goes_out(
    client, production, armorer, safety, actor, revolver, firearms_day
):
    meeting_record(day_id=firearms_day.pk, user=safety, led_by=safety, held_at=time(0, 0), topics="Cold guns")
    client.force_login(armorer)
    url = reverse("armory_check_out", args=[production.pk, revolver.pk])

    page = client.get(url).content.decode()
    assert "alert-warning" not in page and 'name="meeting_override"' not in page

    response = client.post(url, _checkout(actor, safety))

    assert response.status_code == 302
    assert CustodyRecord.objects.get().meeting_override == "" and not Report.objects.exists()


def test_crew_confirm_attendance_with_one_tap(client, production, safety, crew, firearms_day):
    meeting_record(day_id=firearms_day.pk, user=safety, led_by=safety, held_at=time(0, 0), topics="Cold guns")
    client.force_login(crew)
    url = reverse("day", args=[production.pk, firearms_day.pk])
    assert "I was at this safety meeting" in client.get(url).content.decode()

    response = client.post(reverse("day_attend", args=[production.pk, firearms_day.pk]))

    assert response.status_code == 302
    assert MeetingAttendance.objects.get().person == crew
    page = client.get(url).content.decode()
    assert "You confirmed that you were at this meeting." in page
    assert "Gabi Grip" not in page.split("You confirmed")[1]  # crew do not see the list of who attended


def test_the_day_page_tells_the_planner_to_record_the_meeting_now_when_the_day_is_added_after_its_first_scene(
    client, production, safety, crew
):
    plan = DayPlan(date=_today(production), scenes="12", first_scene=time(0, 0), wrap=time(23, 59), firearms=True)
    day = day_schedule(production=production, user=safety, plan=plan)

    client.force_login(safety)
    page = client.get(day.get_absolute_url()).content.decode()
    client.force_login(crew)
    theirs = client.get(day.get_absolute_url()).content.decode()

    assert "The first scene was due at" in page and "record it now" in page
    assert reverse("day_meeting", args=[production.pk, day.pk]) in page
    assert "record it now" not in theirs  # the planner's to do
    assert not Report.objects.exists()


def test_attending_a_day_without_a_meeting_says_so(client, production, crew, firearms_day):
    client.force_login(crew)
    response = client.post(reverse("day_attend", args=[production.pk, firearms_day.pk]), follow=True)
    assert "No safety meeting is recorded for this day yet." in response.content.decode()
    assert not MeetingAttendance.objects.exists()


def test_the_safety_coordinator_plans_a_day_and_records_its_meeting(client, production, safety):
    client.force_login(safety)
    today = _today(production)
    response = client.post(
        reverse("day_new", args=[production.pk]),
        {"date": today.isoformat(), "scenes": "40, 41", "first_scene": "07:00", "wrap": "19:00", "firearms": "on"},
    )
    day = ShootingDay.objects.get()
    assert response["Location"] == day.get_absolute_url()
    assert day.firearms and not day.stunts

    response = client.post(
        reverse("day_meeting", args=[production.pk, day.pk]),
        {"held_at": "00:00", "led_by": str(safety.pk), "topics": "Blanks today; cold checks at the cart"},
    )
    assert response.status_code == 302
    assert SafetyMeeting.objects.get().topics.startswith("Blanks today")


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", ["scenes", "date", "first_scene", "wrap"])
def test_hostile_input_on_the_day_form_changes_nothing(client, production, safety, field, value):
    client.force_login(safety)
    data = {"date": _today(production).isoformat(), "scenes": "1", "first_scene": "07:00", "wrap": "19:00"}
    data[field] = value
    response = client.post(reverse("day_new", args=[production.pk]), data)
    if response.status_code == 302:  # a scene list with odd characters is still a scene list, stored as typed
        day = ShootingDay.objects.get()
        assert field == "scenes" and day.scenes == " ".join(value.split())
        return
    assert response.status_code == 200
    assert not ShootingDay.objects.exists()
    assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", ["held_at", "led_by", "topics"])
def test_hostile_input_on_the_meeting_form_changes_nothing(client, production, safety, other_production, field, value):
    plan = DayPlan(date=_today(production) - timedelta(days=1), scenes="3", first_scene=time(8), wrap=time(18))
    day = day_schedule(production=production, user=safety, plan=plan)
    stranger = member(other_production)
    client.force_login(safety)
    data = {"held_at": "08:00", "led_by": str(safety.pk), "topics": "Pads"}
    data[field] = value if field != "led_by" or value != HOSTILE[0] else str(stranger.pk)
    response = client.post(reverse("day_meeting", args=[production.pk, day.pk]), data)
    if response.status_code == 302:
        assert field == "topics" and SafetyMeeting.objects.get().topics == value.strip()
        return
    assert response.status_code == 200
    assert not SafetyMeeting.objects.exists()
    assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", ["kind", "what", "reason", "needed_on"])
def test_hostile_input_on_the_time_request_form_changes_nothing(client, production, armorer, field, value):
    client.force_login(armorer)
    data = {
        "kind": "prep",
        "what": "An hour",
        "reason": "Cleaning",
        "needed_on": (_today(production) + timedelta(days=1)).isoformat(),
    }
    data[field] = value
    response = client.post(reverse("time_request_new", args=[production.pk]), data)
    if response.status_code == 302:
        assert field in ("what", "reason")
        return
    assert response.status_code == 200
    assert not TimeRequest.objects.exists()
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_a_time_request_sent_twice_by_a_double_tap_is_filed_once_and_both_taps_land_on_it(client, production, armorer):
    client.force_login(armorer)
    url = reverse("time_request_new", args=[production.pk])
    page = client.get(url).content.decode()
    key = page.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    data = {
        "kind": "securing",
        "what": "Two hours before call",
        "reason": "The truck has no safe",
        "needed_on": (_today(production) + timedelta(days=1)).isoformat(),
        "idempotency_key": key,
    }

    first = client.post(url, data)
    again = client.post(url, data, follow=True)

    asked = TimeRequest.objects.get()
    assert first.status_code == 302 and first.url == asked.get_absolute_url()
    assert again.redirect_chain[-1][0] == asked.get_absolute_url()
    assert "Request sent" in again.content.decode()
    assert ArmoryEvent.objects.filter(kind=ArmoryEventKind.TIME_REQUESTED).count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"decision": "refuse", "answer": ""},
        {"decision": "<script>", "answer": "x"},
        {"decision": "refuse", "answer": "A" * 5000},
        {},
    ],
)
def test_a_bad_answer_changes_nothing(client, production, armorer, upm, data):
    asked = time_request_make(
        production=production,
        user=armorer,
        kind="prep",
        what="An hour",
        reason="Cleaning",
        needed_on=_today(production) + timedelta(days=1),
    )
    client.force_login(upm)
    response = client.post(reverse("time_request_answer", args=[production.pk, asked.pk]), data)
    assert response.status_code == 200
    assert TimeRequest.objects.get().status == TimeRequestStatus.PENDING
    assert not Report.objects.exists()


def test_the_upm_refuses_on_the_page_and_the_refusal_is_told(client, production, armorer, upm, producer, safety):
    asked = time_request_make(
        production=production,
        user=armorer,
        kind="securing",
        what="Two hours before call",
        reason="No safe on the truck",
        needed_on=_today(production) + timedelta(days=1),
    )
    client.force_login(upm)
    page = client.get(asked.get_absolute_url()).content.decode()
    assert "Send the answer" in page

    response = client.post(
        reverse("time_request_answer", args=[production.pk, asked.pk]),
        {"decision": "refuse", "answer": "Over budget"},
        follow=True,
    )

    assert "The level above you and the safety coordinator are told" in response.content.decode()
    report = Report.objects.get()
    assert report.armory_gap.kind == GapKind.TIME_REFUSED
    client.force_login(armorer)
    page = client.get(asked.get_absolute_url()).content.decode()
    assert "Over budget" in page and "Una Manager" in page


def test_the_schedule_reads_in_a_fixed_number_of_queries(
    client, production, safety, upm, armorer, django_assert_max_num_queries
):
    for ahead in range(12):
        plan = DayPlan(
            date=_today(production) + timedelta(days=ahead),
            scenes="1",
            first_scene=time(7),
            wrap=time(19),
            firearms=True,
        )
        day = day_schedule(production=production, user=safety, plan=plan)
        if ahead == 0:
            meeting_record(day_id=day.pk, user=safety, led_by=safety, held_at=time(0, 0), topics="Cold guns")
    for _ in range(5):
        time_request_make(
            production=production,
            user=armorer,
            kind="prep",
            what="An hour",
            reason="Cleaning",
            needed_on=_today(production) + timedelta(days=1),
        )
    client.force_login(upm)
    with django_assert_max_num_queries(8):  # session, user, memberships, the days, the waiting requests, ...
        assert client.get(reverse("days", args=[production.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("time_requests", args=[production.pk])).status_code == 200


def test_the_day_form_refuses_a_wrap_at_the_first_scenes_time_and_keeps_what_was_typed(client, production, safety):
    client.force_login(safety)
    data = {"date": _today(production).isoformat(), "scenes": "40, 41", "first_scene": "07:00", "wrap": "07:00"}

    response = client.post(reverse("day_new", args=[production.pk]), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Wrap is at the same time as the first scene: give the time the day ends." in page
    assert 'value="40, 41"' in page
    assert not ShootingDay.objects.exists()
