"""Shooting days and the daily safety meeting: no firearm leaves the armory unless today is a firearms
day whose meeting is recorded (the armorer may override, telling the safety coordinator), a firearms
day without a meeting by its first scene files a report to the safety coordinator and the producers, a
weapon still out at wrap files a report, and every step is on the armory trail."""

import io
from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from incidents.access import may_act_on
from incidents.armory_chain import armory_trail_check
from incidents.armory_text import armory_event_text
from incidents.ladder import ladder_for
from incidents.models import (
    MEETING_GRACE,
    Ammunition,
    ArmoryEvent,
    ArmoryEventKind,
    ArmoryGap,
    CustodyRecord,
    GapKind,
    Identity,
    Load,
    MeetingAttendance,
    Notification,
    Report,
    SafetyMeeting,
    ShootingDay,
    WeaponKind,
)
from incidents.services.armory.custody import CheckOut, custody_check_in, custody_check_out
from incidents.services.armory.days import (
    DayPlan,
    attendance_confirm,
    day_change,
    day_schedule,
    days_sweep,
    meeting_record,
)
from incidents.services.handling import report_acknowledge
from incidents.services.sweeper import sweep
from tests.factories import ammo_lot, check_out, firearms_day, member, weapon

pytestmark = pytest.mark.django_db

NOON = time(12, 0)


@pytest.fixture
def actor(production):
    return member(production, full_name="Rhett Actor", department="cast")


@pytest.fixture
def revolver(production, armorer):
    return weapon(production, armorer)


def _today(production) -> date:
    return timezone.localtime(timezone.now(), production.tzinfo).date()


def _plan(day: date, **fields) -> DayPlan:
    values = {"date": day, "scenes": "12, 14A", "first_scene": time(7, 0), "wrap": time(19, 0), "firearms": True}
    values.update(fields)
    return DayPlan(**values)


def _firearms_day(production, planner, **fields) -> ShootingDay:
    """Today, put on the schedule at midnight: well before its first scene, so the sweeper looks for its
    meeting at the first scene (a day added later has MEETING_GRACE, tested on its own)."""
    today = _today(production)
    scheduled = timezone.make_aware(datetime.combine(today, time(0, 0)), production.tzinfo)
    return day_schedule(production=production, user=planner, plan=_plan(today, **fields), now=scheduled)


def _notified(report: Report) -> set[int]:
    return set(Notification.objects.filter(report=report).values_list("recipient_id", flat=True))


def test_a_firearms_day_without_its_meeting_refuses_the_check_out_with_the_reason(
    production, armorer, safety, actor, revolver
):
    _firearms_day(production, safety)

    with pytest.raises(ValidationError) as refused:
        check_out(revolver, armorer, actor, safety)

    assert refused.value.code == "meeting"
    assert "safety meeting is not recorded" in refused.value.messages[0]
    assert not CustodyRecord.objects.exists()
    assert revolver.__class__.objects.get().status == "in_armory"


def test_once_the_meeting_is_recorded_the_firearm_goes_out(production, armorer, safety, actor, revolver):
    day = _firearms_day(production, safety)
    meeting_record(day_id=day.pk, user=safety, led_by=safety, held_at=time(0, 0), topics="Cold guns, sightlines")

    record = check_out(revolver, armorer, actor, safety)

    assert record.meeting_override == ""
    assert armory_trail_check(production.pk).intact


def test_a_rubber_prop_needs_no_meeting(production, armorer, safety, actor):
    _firearms_day(production, safety)
    prop = weapon(production, armorer, kind=WeaponKind.RUBBER, serial="RUB-1")

    assert check_out(prop, armorer, actor, safety).pk


def test_a_rubber_prop_goes_out_on_a_day_with_nothing_on_the_schedule(production, armorer, safety, actor):
    prop = weapon(production, armorer, kind=WeaponKind.RUBBER, serial="RUB-1")

    outcome = custody_check_out(
        weapon_id=prop.pk, user=armorer, checkout=CheckOut(handed_to=actor, first_ad=safety, scene="12", checked=True)
    )

    assert outcome.gap_report is None and outcome.record.meeting_override == ""


def test_a_firearm_stays_in_the_armory_on_a_day_with_nothing_on_the_schedule(
    production, armorer, safety, actor, revolver
):
    with pytest.raises(ValidationError) as refused:
        check_out(revolver, armorer, actor, safety)

    assert refused.value.code == "firearms_day"
    message = refused.value.messages[0]
    assert "Today is not a firearms day on the schedule" in message
    assert "schedules firearms days on the days page" in message
    assert "Only the armorer can check it out anyway, giving the reason" in message
    assert not CustodyRecord.objects.exists() and not Report.objects.exists()
    assert revolver.__class__.objects.get().status == "in_armory"


def test_a_firearm_stays_in_the_armory_on_a_shooting_day_not_flagged_for_firearms(
    production, armorer, safety, actor, revolver
):
    _firearms_day(production, safety, firearms=False, stunts=True)

    with pytest.raises(ValidationError) as refused:
        check_out(revolver, armorer, actor, safety)

    assert refused.value.code == "firearms_day"
    assert not CustodyRecord.objects.exists() and not Report.objects.exists()


def test_a_firearms_day_tomorrow_does_not_let_a_firearm_out_today(production, armorer, safety, actor, revolver):
    firearms_day(production, safety, on=_today(production) + timedelta(days=1), meeting=False)

    with pytest.raises(ValidationError) as refused:
        check_out(revolver, armorer, actor, safety)

    assert refused.value.code == "firearms_day"


def test_a_firearms_night_shoot_still_lets_its_firearms_out_after_midnight_until_it_wraps(
    production, armorer, safety, actor, revolver
):
    yesterday = _today(production) - timedelta(days=1)
    night = firearms_day(production, safety, on=yesterday, first_scene=time(18, 0), wrap=time(4, 0))
    after_midnight = night.wrap_at - timedelta(hours=2)

    outcome = custody_check_out(
        weapon_id=revolver.pk,
        user=armorer,
        checkout=CheckOut(handed_to=actor, first_ad=safety, scene="12", checked=True),
        now=after_midnight,
    )
    assert outcome.gap_report is None
    custody_check_in(record_id=outcome.record.pk, user=armorer, rounds_back=0, rounds_fired=0, now=after_midnight)

    with pytest.raises(ValidationError) as after_wrap:
        custody_check_out(
            weapon_id=revolver.pk,
            user=armorer,
            checkout=CheckOut(handed_to=actor, first_ad=safety, scene="12", checked=True),
            now=night.wrap_at,
        )
    assert after_wrap.value.code == "firearms_day"


def test_the_armorer_checks_a_firearm_out_with_no_firearms_day_giving_the_reason_and_the_safety_coordinator_is_told(
    production, ladder_cast, actor, revolver
):
    armorer, safety = ladder_cast["armorer"], ladder_cast["safety"]

    outcome = custody_check_out(
        weapon_id=revolver.pk,
        user=armorer,
        checkout=CheckOut(handed_to=actor, first_ad=safety, scene="12", checked=True),
        meeting_override="  Pickup shot the schedule forgot   ",
    )

    assert outcome.record.meeting_override == "Pickup shot the schedule forgot"
    report = outcome.gap_report
    assert report.identity == Identity.SYSTEM and report.escalation_level == 2  # the safety coordinator's level
    assert "no firearms day" in report.title
    assert "Pickup shot the schedule forgot" in report.description
    assert ArmoryGap.objects.get(report=report).kind == GapKind.NO_FIREARMS_DAY
    checked_out = ArmoryEvent.objects.get(kind=ArmoryEventKind.CHECKED_OUT)
    assert checked_out.payload["override"] == "no_firearms_day"
    assert "With no firearms day on the schedule, because: Pickup shot" in armory_event_text(checked_out)
    assert checked_out.payload["snapshots"][f"custody:{outcome.record.pk}"]["meeting_override"].startswith("Pickup")
    # It is about the armorer's own act: the safety coordinator and the producers may act on it, he may not.
    assert safety.pk in _notified(report)
    assert report.concerns_person == armorer
    assert armorer.pk not in _notified(report)
    assert not may_act_on(armorer, report, ladder_for(production))
    assert may_act_on(safety, report, ladder_for(production))
    assert may_act_on(ladder_cast["producer"], report, ladder_for(production))
    assert armory_trail_check(production.pk).intact


@pytest.mark.parametrize("who", ["safety", "producer"])
def test_only_the_armorer_may_check_a_firearm_out_with_no_firearms_day(
    request, production, armorer, safety, actor, revolver, who
):
    keeper = request.getfixturevalue(who)

    with pytest.raises(ValidationError) as refused:
        custody_check_out(
            weapon_id=revolver.pk,
            user=keeper,
            # The armorer as the 1st AD: the person checking it out is never one of the two who see the check.
            checkout=CheckOut(handed_to=actor, first_ad=armorer, scene="12", checked=True),
            meeting_override="The schedule says so",
        )
    assert refused.value.code == "firearms_day"
    assert "Only the armorer" in refused.value.messages[0]
    assert not CustodyRecord.objects.exists() and not Report.objects.exists()


def test_the_armorer_overrides_with_a_reason_and_the_safety_coordinator_is_told(
    production, armorer, safety, producer, actor, revolver
):
    _firearms_day(production, safety)

    outcome = custody_check_out(
        weapon_id=revolver.pk,
        user=armorer,
        checkout=CheckOut(handed_to=actor, first_ad=safety, scene="12", checked=True),
        meeting_override="  Insert shot at dawn, meeting at 8   ",
    )

    assert outcome.record.meeting_override == "Insert shot at dawn, meeting at 8"
    report = outcome.gap_report
    assert report.identity == Identity.SYSTEM and report.escalation_level == 2  # the safety coordinator's level
    assert safety.pk in _notified(report)
    assert ArmoryGap.objects.get(report=report).kind == GapKind.MEETING_OVERRIDDEN
    checked_out = ArmoryEvent.objects.get(kind=ArmoryEventKind.CHECKED_OUT)
    assert checked_out.payload["snapshots"][f"custody:{outcome.record.pk}"]["meeting_override"].startswith("Insert")
    assert armory_trail_check(production.pk).intact


def test_the_armorer_who_overrides_the_meeting_is_not_told_as_a_handler_and_cannot_acknowledge_the_report(
    production, ladder_cast, actor, revolver
):
    armorer, safety = ladder_cast["armorer"], ladder_cast["safety"]
    _firearms_day(production, safety)

    report = custody_check_out(
        weapon_id=revolver.pk,
        user=armorer,
        checkout=CheckOut(handed_to=actor, first_ad=safety, scene="12", checked=True),
        meeting_override="Insert shot at dawn",
    ).gap_report

    assert report.concerns_person == armorer
    assert armorer.pk not in _notified(report) and safety.pk in _notified(report)
    ladder = ladder_for(production)
    assert not may_act_on(armorer, report, ladder)  # same rank as the safety coordinator's level it starts at
    assert may_act_on(safety, report, ladder) and may_act_on(ladder_cast["producer"], report, ladder)
    with pytest.raises(PermissionDenied, match="it is about you"):
        report_acknowledge(report_id=report.pk, user=armorer)


@pytest.mark.parametrize("who", ["safety", "producer"])
def test_only_the_armorer_may_override_the_meeting(request, production, armorer, safety, actor, revolver, who):
    _firearms_day(production, safety)
    keeper = request.getfixturevalue(who)

    with pytest.raises(ValidationError) as refused:
        custody_check_out(
            weapon_id=revolver.pk,
            user=keeper,
            # The armorer as the 1st AD: the person checking it out is never one of the two who see the check.
            checkout=CheckOut(handed_to=actor, first_ad=armorer, scene="12", checked=True),
            meeting_override="The schedule says so",
        )
    assert refused.value.code == "meeting"
    assert not CustodyRecord.objects.exists() and not Report.objects.exists()


def test_a_firearms_day_with_no_meeting_by_its_first_scene_tells_the_safety_coordinator_and_the_producers(
    production, armorer, safety, producer, upm
):
    day = _firearms_day(production, safety, first_scene=time(9, 0))
    before = day.first_scene_at - timedelta(minutes=1)

    assert days_sweep(now=before) == 0
    assert not Report.objects.exists()

    assert sweep(now=day.first_scene_at).armory == 1

    report = Report.objects.get()
    assert ArmoryGap.objects.get(report=report).kind == GapKind.MEETING_MISSED
    assert {safety.pk, producer.pk} <= _notified(report)
    assert days_sweep(now=day.first_scene_at + timedelta(minutes=5)) == 0  # once
    assert Report.objects.count() == 1
    assert armory_trail_check(production.pk).intact


def _local(production, day: date, clock: time):
    return timezone.make_aware(datetime.combine(day, clock), production.tzinfo)


def test_a_firearms_day_added_after_its_first_scene_gives_the_planner_time_to_record_the_meeting_held(
    production, safety, producer
):
    today = _today(production)
    added = _local(production, today, time(14, 55))  # the first scene was at 07:00
    day = day_schedule(production=production, user=safety, plan=_plan(today), now=added)

    assert days_sweep(now=added) == 0
    assert days_sweep(now=added + MEETING_GRACE - timedelta(seconds=1)) == 0
    assert not Report.objects.exists()
    meeting_record(
        day_id=day.pk,
        user=safety,
        led_by=safety,
        held_at=time(6, 30),
        topics="Blanks today",
        now=added + timedelta(minutes=5),
    )

    assert days_sweep(now=added + MEETING_GRACE) == 0
    assert ArmoryEvent.objects.filter(kind=ArmoryEventKind.MEETING_CHECKED, payload__held=True).exists()
    assert not Report.objects.exists()


def test_a_firearms_day_added_after_its_first_scene_with_no_meeting_recorded_in_time_files_the_report(
    production, safety, producer
):
    today = _today(production)
    added = _local(production, today, time(14, 55))
    day = day_schedule(production=production, user=safety, plan=_plan(today), now=added)

    assert days_sweep(now=added + MEETING_GRACE - timedelta(seconds=1)) == 0
    assert days_sweep(now=added + MEETING_GRACE) == 1

    report = Report.objects.get()
    assert ArmoryGap.objects.get(report=report).day == day
    assert {safety.pk, producer.pk} <= _notified(report)
    assert days_sweep(now=added + 2 * MEETING_GRACE) == 0  # once
    assert armory_trail_check(production.pk).intact


def test_a_firearms_day_whose_meeting_was_held_files_nothing_at_its_first_scene(production, safety, producer):
    day = _firearms_day(production, safety, first_scene=time(0, 30))
    meeting_record(day_id=day.pk, user=safety, led_by=safety, held_at=time(0, 10), topics="Blanks on set today")

    assert days_sweep(now=day.first_scene_at + timedelta(seconds=1)) == 0
    assert ArmoryEvent.objects.filter(kind=ArmoryEventKind.MEETING_CHECKED, payload__held=True).exists()
    assert not Report.objects.exists()


def test_a_weapon_still_out_at_wrap_files_a_report_once(production, armorer, safety, actor):
    prop = weapon(production, armorer, kind=WeaponKind.RUBBER, serial="RUB-1")
    day = _firearms_day(production, safety, firearms=False, first_scene=time(0, 0), wrap=time(0, 1))
    record = custody_check_out(
        weapon_id=prop.pk,
        user=armorer,
        checkout=CheckOut(handed_to=actor, first_ad=safety, scene="99", checked=True),
        now=day.first_scene_at + timedelta(seconds=30),
    ).record

    assert days_sweep(now=day.wrap_at - timedelta(seconds=1)) == 0
    assert days_sweep(now=day.wrap_at) == 1

    report = Report.objects.get()
    gap = ArmoryGap.objects.get(report=report)
    assert (gap.kind, gap.custody_id) == (GapKind.OUT_AT_WRAP, record.pk)
    assert armorer.pk in _notified(report) and safety.pk in _notified(report)
    assert days_sweep(now=day.wrap_at + timedelta(minutes=1)) == 0
    assert armory_trail_check(production.pk).intact


def test_a_weapon_back_before_wrap_files_nothing(production, armorer, safety, actor):
    prop = weapon(production, armorer, kind=WeaponKind.RUBBER, serial="RUB-1")
    day = _firearms_day(production, safety, firearms=False, first_scene=time(0, 0), wrap=time(0, 1))
    record = check_out(prop, armorer, actor, safety)
    custody_check_in(record_id=record.pk, user=armorer, rounds_back=0, rounds_fired=0)

    assert days_sweep(now=max(day.wrap_at, timezone.now())) == 0
    assert ArmoryEvent.objects.filter(kind=ArmoryEventKind.WRAP_CHECKED, payload__out=[]).exists()


def test_attendance_is_confirmed_once_from_ones_own_phone(production, safety, crew):
    day = _firearms_day(production, safety)
    with pytest.raises(ValidationError):
        attendance_confirm(day_id=day.pk, user=crew)
    meeting_record(day_id=day.pk, user=safety, led_by=safety, held_at=time(0, 0), topics="Cold guns")

    first = attendance_confirm(day_id=day.pk, user=crew)
    again = attendance_confirm(day_id=day.pk, user=crew)

    assert first.pk == again.pk and MeetingAttendance.objects.count() == 1
    assert ArmoryEvent.objects.filter(kind=ArmoryEventKind.ATTENDANCE_CONFIRMED).count() == 1


def test_a_stranger_cannot_confirm_attendance(production, other_production, safety):
    day = _firearms_day(production, safety)
    meeting_record(day_id=day.pk, user=safety, led_by=safety, held_at=time(0, 0), topics="Cold guns")
    stranger = member(other_production)

    with pytest.raises(PermissionDenied):
        attendance_confirm(day_id=day.pk, user=stranger)


@pytest.mark.parametrize("who", ["crew", "department_head", "armorer"])
def test_wrong_roles_cannot_plan_days_or_record_meetings(request, production, safety, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        day_schedule(production=production, user=user, plan=_plan(_today(production)))
    day = _firearms_day(production, safety)
    with pytest.raises(PermissionDenied):
        meeting_record(day_id=day.pk, user=user, led_by=safety, held_at=time(0, 0), topics="x")
    with pytest.raises(PermissionDenied):
        day_change(day_id=day.pk, user=user, plan=_plan(day.date, scenes="1"))
    assert not SafetyMeeting.objects.exists()


def test_a_meeting_cannot_be_recorded_before_it_is_held_or_twice(production, safety):
    day = day_schedule(production=production, user=safety, plan=_plan(_today(production) + timedelta(days=1)))
    with pytest.raises(ValidationError) as early:
        meeting_record(day_id=day.pk, user=safety, led_by=safety, held_at=time(6, 0), topics="Cold guns")
    assert early.value.code == "held_at"

    today = _firearms_day(production, safety)
    meeting_record(day_id=today.pk, user=safety, led_by=safety, held_at=time(0, 0), topics="Cold guns")
    with pytest.raises(ValidationError) as twice:
        meeting_record(day_id=today.pk, user=safety, led_by=safety, held_at=time(0, 0), topics="Again")
    assert twice.value.code == "recorded"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"scenes": "   "}, "scenes"),
        ({"scenes": "1" * 301}, "scenes"),
        ({"date": date(1999, 1, 1)}, "date"),
        ({"date": date(9999, 12, 31)}, "date"),
    ],
)
def test_a_day_with_a_bad_plan_is_refused(production, safety, fields, code):
    plan = _plan(fields.pop("date", _today(production)), **fields)
    with pytest.raises(ValidationError) as refused:
        day_schedule(production=production, user=safety, plan=plan)
    assert refused.value.code == code
    assert not ShootingDay.objects.exists()


def test_a_date_is_scheduled_once_and_a_night_shoot_wraps_the_next_morning(production, safety):
    day = _firearms_day(production, safety, first_scene=time(18, 0), wrap=time(4, 0))
    assert day.wrap_at - day.first_scene_at == timedelta(hours=10)
    with pytest.raises(ValidationError) as twice:
        _firearms_day(production, safety)
    assert twice.value.code == "date"


def test_a_day_whose_wrap_is_the_time_of_its_first_scene_is_refused_not_taken_for_24_hours(production, safety):
    with pytest.raises(ValidationError) as same:
        _firearms_day(production, safety, first_scene=time(7, 0), wrap=time(7, 0))

    assert same.value.code == "wrap"
    assert "same time as the first scene" in same.value.messages[0]
    assert not ShootingDay.objects.exists()


def test_changing_a_day_is_sealed_on_the_trail(production, safety):
    day = _firearms_day(production, safety)
    day_change(day_id=day.pk, user=safety, plan=_plan(day.date, scenes="12, 14A, 15", pyrotechnics=True))

    changed = ArmoryEvent.objects.get(kind=ArmoryEventKind.DAY_CHANGED)
    assert changed.payload["changed"] == ["pyrotechnics", "scenes"]
    assert armory_trail_check(production.pk).intact


@pytest.mark.parametrize(
    ("model", "change"),
    [
        (SafetyMeeting, {"topics": "Nothing"}),
        (MeetingAttendance, {"confirmed_at": timezone.now() - timedelta(days=1)}),
        (ShootingDay, {"firearms": False}),
    ],
)
def test_verify_trail_catches_a_meeting_attendance_or_day_edited_behind_the_services_back(
    production, safety, crew, model, change
):
    day = _firearms_day(production, safety)
    meeting_record(day_id=day.pk, user=safety, led_by=safety, held_at=time(0, 0), topics="Cold guns")
    attendance_confirm(day_id=day.pk, user=crew)
    call_command("verify_trail", stdout=io.StringIO())  # intact

    model.objects.filter(production=production).update(**change)

    with pytest.raises(CommandError):
        call_command("verify_trail", stdout=io.StringIO(), stderr=io.StringIO())
    check = armory_trail_check(production.pk)
    assert not check.intact and next(iter(change)) in check.reason


@pytest.mark.parametrize("with_day", [False, True], ids=["no firearms day", "before the meeting"])
def test_the_override_report_says_which_rounds_went_out_with_the_firearm(
    production, ladder_cast, actor, revolver, with_day
):
    armorer, safety = ladder_cast["armorer"], ladder_cast["safety"]
    if with_day:
        firearms_day(production, safety, meeting=False)
    lot = ammo_lot(production, armorer, count=50)

    outcome = custody_check_out(
        weapon_id=revolver.pk,
        user=armorer,
        checkout=CheckOut(
            handed_to=actor, first_ad=safety, scene="12", checked=True, load=Load.BLANKS, lot=lot, rounds=6
        ),
        meeting_override="Pickup shot",
    )

    assert outcome.gap_report.ammunition == Ammunition.BLANK
