"""The armory's reads: the inventory, who holds what, the custody log and the trail of one weapon,
with their joins decided once."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Membership, Production, Role, User
from incidents.models import (
    AmmoLot,
    ArmoryEvent,
    ArmoryEventKind,
    ArmoryGap,
    CustodyRecord,
    GapKind,
    MeetingAttendance,
    SafetyMeeting,
    ShootingDay,
    TimeRequest,
    TimeRequestStatus,
    Weapon,
    WeaponStatus,
)

CUSTODY_JOINS = ("weapon", "handed_to", "first_ad", "lot", "checked_out_by", "checked_in_by")
# A check-out waits for its confirmations this long on the people's armory page; after that it is in
# the custody log only (as unconfirmed).
CONFIRMATION_WINDOW = timedelta(days=2)


def weapons_of(production: Production) -> list[Weapon]:
    """Weapons out first (they are what must come back), then in the armory, then retired."""
    order = {WeaponStatus.OUT: 0, WeaponStatus.IN_ARMORY: 1, WeaponStatus.RETIRED: 2}
    weapons = list(Weapon.objects.filter(production=production).order_by("make", "model_name", "serial"))
    return sorted(weapons, key=lambda weapon: order[weapon.status])


def lots_of(production: Production) -> QuerySet[AmmoLot]:
    return AmmoLot.objects.filter(production=production).order_by("kind", "description", "pk")


def open_custody(production: Production) -> dict[int, CustodyRecord]:
    """The records of the weapons out now, by weapon id."""
    records = CustodyRecord.objects.filter(production=production, checked_in_at__isnull=True).select_related(
        "weapon", "handed_to"
    )
    return {record.weapon_id: record for record in records}


def awaiting_confirmation(user: User, production: Production, now: datetime) -> list[CustodyRecord]:
    """Recent check-outs naming this person (as receiver or 1st AD) that they have not confirmed yet; not
    those they checked out themselves, which they never confirm (custody_party)."""
    return list(
        CustodyRecord.objects.filter(production=production, checked_out_at__gte=now - CONFIRMATION_WINDOW)
        .exclude(checked_out_by=user)
        .filter(
            Q(handed_to=user, receiver_confirmed_at__isnull=True) | Q(first_ad=user, first_ad_confirmed_at__isnull=True)
        )
        .select_related("weapon", "handed_to", "first_ad", "checked_out_by")
        .order_by("-checked_out_at")
    )


def custody_log(weapon: Weapon) -> QuerySet[CustodyRecord]:
    return CustodyRecord.objects.filter(weapon=weapon).select_related(*CUSTODY_JOINS).order_by("-checked_out_at", "-pk")


def last_custody(weapon: Weapon) -> CustodyRecord | None:
    return CustodyRecord.objects.filter(weapon=weapon).order_by("-checked_out_at", "-pk").first()


def checkout_people(production: Production) -> list[User]:
    """The production's active members, who may receive a weapon or witness its check."""
    memberships = Membership.objects.filter(production=production, user__is_active=True).select_related("user")
    return sorted((m.user for m in memberships), key=lambda user: (user.full_name or user.email).lower())


def safety_coordinators(production: Production) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(production=production, role=Role.SAFETY, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name")
    ]


def checkout_lots(production: Production) -> list[AmmoLot]:
    return list(AmmoLot.objects.filter(production=production, count__gt=0).order_by("kind", "description", "pk"))


def weapon_trail(weapon: Weapon) -> QuerySet[ArmoryEvent]:
    """Every event about the weapon or one of its check-outs, newest first."""
    subjects = [f"weapon:{weapon.pk}"] + [
        f"custody:{pk}" for pk in CustodyRecord.objects.filter(weapon=weapon).values_list("pk", flat=True)
    ]
    return (
        ArmoryEvent.objects.filter(production_id=weapon.production_id)
        .filter(
            Q(subject__in=subjects)
            | Q(payload__snapshots__has_key=f"weapon:{weapon.pk}")
            | Q(kind=ArmoryEventKind.GAP_REPORTED, payload__weapon=weapon.pk)
        )
        .select_related("actor")
        .order_by("-seq")
    )


# --- shooting days, safety meetings and time requests --------------------------------------------------


def local_day(production: Production, now: datetime) -> date:
    """The production's date at `now` (a shooting day is a date where the production is)."""
    return timezone.localtime(now, production.tzinfo).date()


# Why a firearm stays in the armory (`FirearmsHold.reason`; also what the armorer's override went past,
# on the check-out's trail event).
HELD_FOR_MEETING = "meeting"
HELD_NO_FIREARMS_DAY = "no_firearms_day"


@dataclass(frozen=True)
class FirearmsHold:
    """Why a firearm may not leave the armory now: today's firearms day has no safety meeting recorded
    (`day` is that day), or today is not a firearms day at all (`day` is today's shooting day when one is
    on the schedule without the firearms flag, else None)."""

    reason: str
    day: ShootingDay | None

    @property
    def no_firearms_day(self) -> bool:
        return self.reason == HELD_NO_FIREARMS_DAY


def firearms_hold(weapon: Weapon, now: datetime) -> FirearmsHold | None:
    """Why the weapon stays in the armory now, if it does: a weapon that needs the day's safety meeting
    (`Weapon.needs_meeting`) leaves only on a firearms day whose meeting is recorded. Today is the
    production's date; a night shoot's day lasts until it wraps, past midnight. One query."""
    if not weapon.needs_meeting:
        return None
    today = local_day(weapon.production, now)
    days = (
        ShootingDay.objects.filter(production_id=weapon.production_id, date__in=[today, today - timedelta(days=1)])
        .annotate(meeting_recorded=Exists(SafetyMeeting.objects.filter(day=OuterRef("pk"))))
        .order_by("-date")
    )
    under_way = [day for day in days if day.date == today or day.wrap_at > now]
    firearms = [day for day in under_way if day.firearms]
    if any(day.meeting_recorded for day in firearms):
        return None
    if firearms:
        return FirearmsHold(HELD_FOR_MEETING, firearms[0])
    return FirearmsHold(HELD_NO_FIREARMS_DAY, under_way[0] if under_way else None)


def went_out_with_no_firearms_day(record: CustodyRecord) -> bool:
    """Whether the armorer's override on this check-out was of a day with no firearms on the schedule
    (else of a firearms day's missing meeting): the report it filed says which."""
    return bool(record.meeting_override) and record.gaps.filter(kind=GapKind.NO_FIREARMS_DAY).exists()


def days_of(production: Production, today: date) -> tuple[list[ShootingDay], list[ShootingDay]]:
    """The schedule: today and the days to come, then the past days (newest first)."""
    days = ShootingDay.objects.filter(production=production).select_related("meeting").order_by("date")
    coming = [day for day in days if day.date >= today]
    past = sorted((day for day in days if day.date < today), key=lambda day: day.date, reverse=True)
    return coming, past


def attendance_of(meeting: SafetyMeeting) -> list[MeetingAttendance]:
    return list(meeting.attendance.select_related("person").order_by("confirmed_at", "pk"))


def meeting_of(day: ShootingDay) -> SafetyMeeting | None:
    return SafetyMeeting.objects.filter(day=day).select_related("led_by", "recorded_by").first()


def time_requests_for(user: User, production: Production, *, sees_all: bool) -> QuerySet[TimeRequest]:
    requests = TimeRequest.objects.filter(production=production).select_related("requested_by", "answered_by")
    if not sees_all:
        requests = requests.filter(requested_by=user)
    return requests.order_by("-requested_at", "-pk")


def time_requests_waiting(production: Production, user: User) -> int:
    """How many requests wait for an answer that this person (UPM or above) could give."""
    return (
        TimeRequest.objects.filter(production=production, status=TimeRequestStatus.PENDING)
        .exclude(requested_by=user)
        .count()
    )


def day_trail(day: ShootingDay) -> QuerySet[ArmoryEvent]:
    """Every event about the day, its meeting and the attendance at it, oldest first."""
    subjects = [f"day:{day.pk}"]
    meeting = SafetyMeeting.objects.filter(day=day).first()
    if meeting is not None:
        subjects.append(f"meeting:{meeting.pk}")
        subjects += [f"attendance:{pk}" for pk in meeting.attendance.values_list("pk", flat=True)]
    gap_reports = list(ArmoryGap.objects.filter(day=day).values_list("report_id", flat=True))
    return (
        ArmoryEvent.objects.filter(production_id=day.production_id)
        .filter(Q(subject__in=subjects) | Q(kind=ArmoryEventKind.GAP_REPORTED, payload__report__in=gap_reports))
        .select_related("actor")
        .order_by("seq")
    )


def day_custody(day: ShootingDay) -> QuerySet[CustodyRecord]:
    """The check-outs of the day (by the production's date of check-out), each with
    `no_firearms_day` (whether the armorer checked it out with no firearms day on the schedule)."""
    start = timezone.make_aware(datetime.combine(day.date, time(0, 0)), day.production.tzinfo)
    end = max(start + timedelta(days=1), day.wrap_at)
    return (
        CustodyRecord.objects.filter(production_id=day.production_id, checked_out_at__gte=start, checked_out_at__lt=end)
        .annotate(
            no_firearms_day=Exists(ArmoryGap.objects.filter(custody=OuterRef("pk"), kind=GapKind.NO_FIREARMS_DAY))
        )
        .select_related(*CUSTODY_JOINS)
        .order_by("checked_out_at", "pk")
    )


def time_request_trail(request: TimeRequest) -> QuerySet[ArmoryEvent]:
    return (
        ArmoryEvent.objects.filter(production_id=request.production_id, subject=f"request:{request.pk}")
        .select_related("actor")
        .order_by("seq")
    )


# --- evidence: the armory trail's events about one weapon or one day ------------------------------------


def _days_subjects(days: list[ShootingDay]) -> list[str]:
    subjects = [f"day:{day.pk}" for day in days]
    meetings = list(SafetyMeeting.objects.filter(day__in=days).values_list("pk", flat=True))
    subjects += [f"meeting:{pk}" for pk in meetings]
    subjects += [
        f"attendance:{pk}"
        for pk in MeetingAttendance.objects.filter(meeting_id__in=meetings).values_list("pk", flat=True)
    ]
    return subjects


def _evidence(production_id: int, subjects: list[str], reports: list[int]) -> QuerySet[ArmoryEvent]:
    return (
        ArmoryEvent.objects.filter(production_id=production_id)
        .filter(Q(subject__in=subjects) | Q(kind=ArmoryEventKind.GAP_REPORTED, payload__report__in=reports))
        .select_related("actor")
        .order_by("seq")
    )


def weapon_evidence(weapon: Weapon) -> QuerySet[ArmoryEvent]:
    """The weapon's trail (inventory, every check-out and check-in, the reports about it) and the safety
    meetings and attendance of each day it went out, oldest first."""
    records = list(CustodyRecord.objects.filter(weapon=weapon).values_list("pk", "checked_out_at"))
    tz = weapon.production.tzinfo
    dates = {timezone.localtime(out, tz).date() for _pk, out in records}
    days = list(ShootingDay.objects.filter(production_id=weapon.production_id, date__in=dates))
    subjects = [f"weapon:{weapon.pk}"] + [f"custody:{pk}" for pk, _out in records] + _days_subjects(days)
    reports = list(ArmoryGap.objects.filter(Q(weapon=weapon) | Q(day__in=days)).values_list("report_id", flat=True))
    return _evidence(weapon.production_id, subjects, reports)


def day_evidence(day: ShootingDay) -> QuerySet[ArmoryEvent]:
    """The day (schedule and changes, the sweeper's looks), its meeting and attendance, the check-outs
    of the day, the time requests for that date and their answers, and the reports about any of them."""
    custody = list(day_custody(day).values_list("pk", flat=True))
    requests = list(
        TimeRequest.objects.filter(production_id=day.production_id, needed_on=day.date).values_list("pk", flat=True)
    )
    subjects = _days_subjects([day]) + [f"custody:{pk}" for pk in custody] + [f"request:{pk}" for pk in requests]
    reports = list(
        ArmoryGap.objects.filter(Q(day=day) | Q(custody_id__in=custody) | Q(time_request_id__in=requests)).values_list(
            "report_id", flat=True
        )
    )
    return _evidence(day.production_id, subjects, reports)


def report_armory_evidence(report_id: int) -> tuple[ArmoryGap | None, QuerySet[ArmoryEvent] | None]:
    """The armory record a report SafeTrack filed is about, and its evidence (None for other reports)."""
    gap = (
        ArmoryGap.objects.filter(report_id=report_id)
        .select_related(
            "production", "weapon__production", "custody__weapon__production", "day__production", "time_request"
        )
        .first()
    )
    if gap is None:
        return None, None
    if gap.day is not None:
        return gap, day_evidence(gap.day)
    weapon = gap.weapon or (gap.custody.weapon if gap.custody else None)
    if weapon is not None:
        return gap, weapon_evidence(weapon)
    if gap.time_request is not None:
        subjects = [f"request:{gap.time_request_id}"]
        return gap, _evidence(gap.production_id, subjects, [report_id])
    return gap, _evidence(gap.production_id, [f"report:{report_id}"], [report_id])
