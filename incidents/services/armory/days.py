"""Shooting days and the daily safety meeting, written (DESIGN.md flow 6).

The safety coordinator (or the UPM, or a producer) schedules a day: its scenes, its flags, when its
first scene is due and when it wraps, in the production's time zone. On a firearms day the meeting is
recorded (when, who led it, the topics) and each person confirms from their own phone that they were
there. A firearm leaves the armory only on a firearms day whose meeting is recorded (`firearms_gate`,
asked by custody check-out): not before the meeting, and not on a day with no firearms day on the
schedule. The armorer may override either with a reason, which files a report to the safety coordinator
that concerns the armorer (who never handles a report about their own override).

The sweeper (`days_sweep`, called from `incidents.services.sweeper`) looks at each firearms day once its
first scene is due (and `MEETING_GRACE` has passed since it was scheduled: a day added after its first
scene gives the planner time to record the meeting held), and at each day once it wraps: no meeting
recorded, or a weapon still out, files a report that escalates like any other. Each look is claimed by
a compare-and-set on the day (`meeting_checked_at`, `wrap_checked_at`, rows taken `FOR UPDATE SKIP
LOCKED`), so several sweepers never file twice. Locks: the day, then the trail's head.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership, Production, Role, User
from incidents import access
from incidents.categories import Category, Severity
from incidents.formatting import local_datetime
from incidents.models import (
    MEETING_GRACE,
    ArmoryEventKind,
    CustodyRecord,
    GapKind,
    MeetingAttendance,
    Report,
    SafetyMeeting,
    ShootingDay,
)
from incidents.selectors.armory import FirearmsHold, firearms_hold, local_day

from .gaps import Gap, gap_language, gap_report_file, load_ammunition
from .trail import armory_event_append

SCENES_MAX_LENGTH = 300
TOPICS_MAX_LENGTH = 2000
OVERRIDE_MAX_LENGTH = 500
# How far back and ahead a day may be scheduled: a typo in the year is refused, not stored.
DAYS_BACK = 7
DAYS_AHEAD = 2 * 366
# A meeting's time may be a little ahead of the server's clock (a phone's clock), never more.
CLOCK_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class DayPlan:
    """What the planner types: the date, the scenes, the flags, and two local times."""

    date: date
    scenes: str
    first_scene: time
    wrap: time
    firearms: bool = False
    stunts: bool = False
    pyrotechnics: bool = False
    vehicles: bool = False


def _require_planner(user: User, production_id: int) -> None:
    if not access.can_plan_days(user, production_id):
        raise PermissionDenied(_("Only the safety coordinator, the UPM and the producers plan the shooting days."))


def _at(production: Production, day: date, clock: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock.replace(second=0, microsecond=0)), production.tzinfo)


def _clean_plan(production: Production, plan: DayPlan, now: datetime) -> tuple[str, datetime, datetime]:
    scenes = " ".join((plan.scenes or "").split())
    if not scenes:
        raise ValidationError(_("Give the day's scenes, e.g. 12, 14A, 15."), code="scenes")
    if len(scenes) > SCENES_MAX_LENGTH:
        raise ValidationError(
            _("Keep the scenes under %(limit)s characters.") % {"limit": SCENES_MAX_LENGTH}, code="scenes"
        )
    today = local_day(production, now)
    if not today - timedelta(days=DAYS_BACK) <= plan.date <= today + timedelta(days=DAYS_AHEAD):
        raise ValidationError(
            _("Give a date between a week ago and two years from now."),
            code="date",
        )
    first_scene_at = _at(production, plan.date, plan.first_scene)
    wrap_at = _at(production, plan.date, plan.wrap)
    if wrap_at == first_scene_at:
        # Not a night shoot: a 24-hour day is a slip of the finger, and it would hold every gap check open.
        same = _("Wrap is at the same time as the first scene: give the time the day ends.")
        raise ValidationError(same, code="wrap")
    if wrap_at < first_scene_at:
        wrap_at = _at(production, plan.date + timedelta(days=1), plan.wrap)  # a night shoot wraps the next morning
    return scenes, first_scene_at, wrap_at


def _date_taken(production_id: int, day: date, exclude_pk: int | None = None) -> bool:
    days = ShootingDay.objects.filter(production_id=production_id, date=day)
    return (days.exclude(pk=exclude_pk) if exclude_pk else days).exists()


def _date_error(day: date) -> ValidationError:
    return ValidationError(
        _("%(date)s is already on the schedule: change that day instead.")
        % {"date": formats.date_format(day, "DATE_FORMAT")},
        code="date",
    )


def day_plan_check(*, production: Production, plan: DayPlan, day_id: int | None = None) -> None:
    """The ValidationError scheduling (or changing) the day would raise, if any (the admin's form asks first)."""
    _clean_plan(production, plan, timezone.now())
    if _date_taken(production.pk, plan.date, exclude_pk=day_id):
        raise _date_error(plan.date)


def day_schedule(*, production: Production, user: User, plan: DayPlan, now: datetime | None = None) -> ShootingDay:
    _require_planner(user, production.pk)
    now = now or timezone.now()
    scenes, first_scene_at, wrap_at = _clean_plan(production, plan, now)
    if _date_taken(production.pk, plan.date):
        raise _date_error(plan.date)
    try:
        with transaction.atomic():
            day = ShootingDay.objects.create(
                production=production,
                date=plan.date,
                scenes=scenes,
                firearms=plan.firearms,
                stunts=plan.stunts,
                pyrotechnics=plan.pyrotechnics,
                vehicles=plan.vehicles,
                first_scene_at=first_scene_at,
                wrap_at=wrap_at,
                created_by=user,
                created_at=now,
            )
            armory_event_append(
                production=production, kind=ArmoryEventKind.DAY_SCHEDULED, actor=user, records=[day], at=now
            )
    except IntegrityError as exc:  # the same date scheduled at the same moment by someone else
        raise _date_error(plan.date) from exc
    return day


def day_change(*, day_id: int, user: User, plan: DayPlan, now: datetime | None = None) -> ShootingDay:
    """Change a day's plan. A look the sweeper already took (the meeting at the first scene, the
    weapons at wrap) is not taken again."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            day = ShootingDay.objects.select_for_update(of=("self",)).select_related("production").get(pk=day_id)
            _require_planner(user, day.production_id)
            scenes, first_scene_at, wrap_at = _clean_plan(day.production, plan, now)
            if _date_taken(day.production_id, plan.date, exclude_pk=day.pk):
                raise _date_error(plan.date)
            after = {
                "date": plan.date,
                "scenes": scenes,
                "firearms": plan.firearms,
                "stunts": plan.stunts,
                "pyrotechnics": plan.pyrotechnics,
                "vehicles": plan.vehicles,
                "first_scene_at": first_scene_at,
                "wrap_at": wrap_at,
            }
            changed = sorted(name for name, value in after.items() if getattr(day, name) != value)
            if not changed:
                return day
            for name in changed:
                setattr(day, name, after[name])
            day.save(update_fields=changed)
            armory_event_append(
                production=day.production,
                kind=ArmoryEventKind.DAY_CHANGED,
                actor=user,
                records=[day],
                payload={"changed": changed},
                at=now,
            )
    except IntegrityError as exc:
        raise _date_error(plan.date) from exc
    return day


def meeting_record(
    *, day_id: int, user: User, led_by: User, held_at: time, topics: str, now: datetime | None = None
) -> SafetyMeeting:
    """Record the day's safety meeting: the local time it was held, who led it, the topics."""
    topics = (topics or "").strip()
    if not topics:
        raise ValidationError(_("Say what the meeting covered."), code="topics")
    if len(topics) > TOPICS_MAX_LENGTH:
        raise ValidationError(
            _("Keep the topics under %(limit)s characters.") % {"limit": TOPICS_MAX_LENGTH}, code="topics"
        )
    now = now or timezone.now()
    with transaction.atomic():
        day = ShootingDay.objects.select_for_update(of=("self",)).select_related("production").get(pk=day_id)
        _require_planner(user, day.production_id)
        existing = SafetyMeeting.objects.filter(day=day).first()
        if existing is not None:
            raise ValidationError(
                _("The meeting of this day was already recorded, held at %(when)s.")
                % {"when": local_datetime(existing.held_at, day.production)},
                code="recorded",
            )
        if not Membership.objects.filter(production_id=day.production_id, user=led_by, user__is_active=True).exists():
            raise ValidationError(_("Choose a member of this production."), code="led_by")
        held = _at(day.production, day.date, held_at)
        if held > now + CLOCK_SLACK:
            raise ValidationError(
                _("Record the meeting once it has been held: %(when)s is still to come.")
                % {"when": local_datetime(held, day.production)},
                code="held_at",
            )
        meeting = SafetyMeeting.objects.create(
            production=day.production,
            day=day,
            held_at=held,
            led_by=led_by,
            topics=topics,
            recorded_by=user,
            recorded_at=now,
        )
        armory_event_append(
            production=day.production,
            kind=ArmoryEventKind.MEETING_RECORDED,
            actor=user,
            records=[meeting],
            payload={"date": day.date.isoformat(), "led_by_name": str(led_by)},
            at=now,
        )
    return meeting


def attendance_confirm(*, day_id: int, user: User, now: datetime | None = None) -> MeetingAttendance:
    """A member confirms, from their own phone, that they were at the day's safety meeting. Twice
    changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = (
            SafetyMeeting.objects.select_for_update(of=("self",))
            .select_related("production", "day")
            .filter(day_id=day_id)
            .first()
        )
        if meeting is None:
            raise ValidationError(_("No safety meeting is recorded for this day yet."), code="no_meeting")
        if access.membership_in(user, meeting.production_id) is None:
            raise PermissionDenied(_("Only members of this production confirm their attendance."))
        existing = MeetingAttendance.objects.filter(meeting=meeting, person=user).first()
        if existing is not None:
            return existing
        attendance = MeetingAttendance.objects.create(
            production=meeting.production, meeting=meeting, person=user, confirmed_at=now
        )
        armory_event_append(
            production=meeting.production,
            kind=ArmoryEventKind.ATTENDANCE_CONFIRMED,
            actor=user,
            records=[attendance],
            payload={"date": meeting.day.date.isoformat()},
            at=now,
        )
    return attendance


# --- the check-out's gate ----------------------------------------------------------------------------


firearms_gate = firearms_hold


def firearms_gate_refusal(hold: FirearmsHold) -> ValidationError:
    if hold.no_firearms_day:
        return ValidationError(
            _(
                "Today is not a firearms day on the schedule: no firearm leaves the armory. The safety "
                "coordinator schedules firearms days on the days page. Only the armorer can check it out "
                "anyway, giving the reason."
            ),
            code="firearms_day",
        )
    return ValidationError(
        _(
            "Today is a firearms day and its safety meeting is not recorded yet: no firearm leaves the armory "
            "before it. The safety coordinator records it on the day's page. Only the armorer can check it "
            "out anyway, giving the reason."
        ),
        code="meeting",
    )


def firearms_override_clean(*, user: User, production_id: int, reason: str, hold: FirearmsHold) -> str:
    """The armorer's reason for checking a firearm out past the hold, or the ValidationError saying why not."""
    reason = " ".join((reason or "").split())
    if not access.overrides_meeting(user, production_id):
        if hold.no_firearms_day:
            raise ValidationError(
                _("Only the armorer can check a firearm out when today is not a firearms day."), code="firearms_day"
            )
        raise ValidationError(
            _("Only the armorer can check a firearm out before the day's safety meeting."), code="meeting"
        )
    if not reason:
        if hold.no_firearms_day:
            raise ValidationError(
                _("Give the reason for checking it out with no firearms day today."), code="meeting_override"
            )
        raise ValidationError(_("Give the reason for checking it out before the meeting."), code="meeting_override")
    if len(reason) > OVERRIDE_MAX_LENGTH:
        raise ValidationError(
            _("Keep the reason under %(limit)s characters.") % {"limit": OVERRIDE_MAX_LENGTH},
            code="meeting_override",
        )
    return reason


def firearms_override_report(*, record: CustodyRecord, hold: FirearmsHold, armorer: User, now: datetime) -> Report:
    """Tell the safety coordinator (a report that starts at their level) that a firearm went out past the
    hold, and why. The report concerns the armorer (their own act): they are never told as a handler of
    it nor able to take it (DESIGN.md flow 3). The caller holds the check-out's transaction."""
    held_on = hold.day.date if hold.day else local_day(record.production, now)
    with translation.override(gap_language(armorer)):
        words = {
            "armorer": armorer,
            "weapon": record.weapon,
            "person": record.handed_to,
            "scene": record.scene,
            "when": local_datetime(now, record.production),
            "date": formats.date_format(held_on, "DATE_FORMAT"),
            "reason": record.meeting_override,
        }
        if hold.no_firearms_day:
            kind = GapKind.NO_FIREARMS_DAY
            title = _("Firearm checked out with no firearms day on the schedule: %(weapon)s")
            description = _(
                "%(armorer)s checked %(weapon)s out to %(person)s for scene %(scene)s at %(when)s, though "
                "%(date)s is not a firearms day on the schedule, because: %(reason)s. Schedule the firearms day "
                "and hold its safety meeting, or have the firearm brought back to the armory."
            )
        else:
            kind = GapKind.MEETING_OVERRIDDEN
            title = _("Firearm checked out before the day's safety meeting: %(weapon)s")
            description = _(
                "%(armorer)s checked %(weapon)s out to %(person)s for scene %(scene)s at %(when)s, before the "
                "safety meeting of %(date)s was recorded, because: %(reason)s. Hold the meeting and record it."
            )
        gap = Gap(
            kind=kind,
            category=Category.UNSAFE_HANDLING,
            severity=Severity.HIGH,
            title=title % words,
            description=description % words,
            weapon=record.weapon,
            custody=record,
            ammunition=load_ammunition(record.load),
            armorer_present=True,
            first_role=Role.SAFETY,
            also_tell_roles=(Role.SAFETY,),
            concerns_person=armorer,
        )
        return gap_report_file(production=record.production, gap=gap, now=now)


# --- the sweeper's looks -----------------------------------------------------------------------------


def days_sweep(*, now: datetime | None = None, limit: int = 50) -> int:
    """Look at the firearms days whose meeting is due (`ShootingDay.meeting_due_at`: the first scene, and
    not sooner than MEETING_GRACE after the day was scheduled) and the days that wrapped; the reports filed."""
    now = now or timezone.now()
    filed = 0
    for _i in range(limit):
        with transaction.atomic():
            day = (
                ShootingDay.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("production")
                .filter(
                    firearms=True,
                    meeting_checked_at__isnull=True,
                    first_scene_at__lte=now,
                    created_at__lte=now - MEETING_GRACE,
                )
                .order_by("first_scene_at")
                .first()
            )
            if day is None:
                break
            filed += _meeting_check(day, now)
    for _i in range(limit):
        with transaction.atomic():
            day = (
                ShootingDay.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("production")
                .filter(wrap_checked_at__isnull=True, wrap_at__lte=now)
                .order_by("wrap_at")
                .first()
            )
            if day is None:
                break
            filed += _wrap_check(day, now)
    return filed


def _meeting_check(day: ShootingDay, now: datetime) -> int:
    day.meeting_checked_at = now
    day.save(update_fields=["meeting_checked_at"])
    meeting = SafetyMeeting.objects.filter(day=day).first()
    report = None if meeting is not None else _report_meeting_missed(day, now)
    armory_event_append(
        production=day.production,
        kind=ArmoryEventKind.MEETING_CHECKED,
        records=[day],
        payload={"held": meeting is not None, "report": report.pk if report else None},
        at=now,
    )
    return int(report is not None)


def _report_meeting_missed(day: ShootingDay, now: datetime) -> Report:
    with translation.override(gap_language(None)):
        gap = Gap(
            kind=GapKind.MEETING_MISSED,
            category=Category.UNSAFE_HANDLING,
            severity=Severity.HIGH,
            title=_("No safety meeting before the first scene of a firearms day (%(date)s)")
            % {"date": day.date.isoformat()},
            description=_(
                "%(date)s is a firearms day (scenes %(scenes)s). Its first scene was due at %(when)s and no "
                "safety meeting is recorded. Hold it before any firearm is used, and record it."
            )
            % {
                "date": day.date.isoformat(),
                "scenes": day.scenes,
                "when": local_datetime(day.first_scene_at, day.production),
            },
            day=day,
            first_role=Role.SAFETY,
            also_tell_roles=(Role.SAFETY, Role.PRODUCER),
        )
        return gap_report_file(production=day.production, gap=gap, now=now)


def _wrap_check(day: ShootingDay, now: datetime) -> int:
    day.wrap_checked_at = now
    day.save(update_fields=["wrap_checked_at"])
    out = list(
        CustodyRecord.objects.filter(
            production_id=day.production_id, checked_in_at__isnull=True, checked_out_at__lte=day.wrap_at
        )
        .exclude(gaps__kind=GapKind.OUT_AT_WRAP)
        .select_related("production", "weapon", "handed_to")
        .order_by("checked_out_at", "pk")
    )
    reports = [_report_out_at_wrap(record, day, now) for record in out]
    armory_event_append(
        production=day.production,
        kind=ArmoryEventKind.WRAP_CHECKED,
        records=[day],
        payload={"out": [record.pk for record in out], "reports": [report.pk for report in reports]},
        at=now,
    )
    return len(reports)


def _report_out_at_wrap(record: CustodyRecord, day: ShootingDay, now: datetime) -> Report:
    with translation.override(gap_language(None)):
        gap = Gap(
            kind=GapKind.OUT_AT_WRAP,
            category=Category.UNSAFE_HANDLING,
            severity=Severity.HIGH,
            title=_("Weapon not back in the armory at wrap: %(weapon)s") % {"weapon": record.weapon},
            description=_(
                "%(weapon)s went out to %(person)s for scene %(scene)s at %(out)s and was not checked back in "
                "by wrap (%(wrap)s, %(date)s). Find it, count its rounds and check it in."
            )
            % {
                "weapon": record.weapon,
                "person": record.handed_to,
                "scene": record.scene,
                "out": local_datetime(record.checked_out_at, record.production),
                "wrap": local_datetime(day.wrap_at, day.production),
                "date": day.date.isoformat(),
            },
            weapon=record.weapon,
            custody=record,
            also_tell_roles=(Role.ARMORER, Role.SAFETY),
        )
        return gap_report_file(production=day.production, gap=gap, now=now)
