"""Admin fixtures: a production-scoped staff user, and a production with every kind of row present."""

from datetime import date, timedelta
from datetime import time as clock

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import Department, Role
from incidents.categories import Category
from incidents.models import Attachment, DigestRun, Heartbeat, Identity, Notification, Report, WarningTerm
from incidents.services.armory.days import DayPlan, attendance_confirm, day_schedule, meeting_record
from incidents.services.armory.inventory import LIVE, ammunition_stock
from incidents.services.armory.time_requests import time_request_make
from incidents.services.escalation import report_escalate
from tests.admin.helpers import fail_notification
from tests.factories import UserFactory, ammo_lot, file_report, member, weapon

PRODUCTION_ADMINS = "Production admins"


@pytest.fixture
def production_admin(production):
    """Staff, in the "Production admins" group, linked to `production` only."""
    user = UserFactory(is_staff=True, full_name="Pat Scoped", email="pat.scoped@example.com")
    user.groups.add(Group.objects.get(name=PRODUCTION_ADMINS))
    production.admins.add(user)
    return user


@pytest.fixture
def confidential_reporter(production):
    return member(production, Role.CREW, Department.CAMERA, full_name="Quinn Quietly", email="quinn@example.com")


@pytest.fixture
def world(production, other_production, crew, confidential_reporter, ladder_cast, outsider, superuser):
    """A named, a confidential and an anonymous report here, one in another production, an escalation,
    a failed notification, an attachment, a digest, a heartbeat, a log entry, and the armory: a weapon,
    a lot and the report SafeTrack filed when live rounds were offered to it."""
    named = file_report(production, crew, Category.OTHER, title="Loose sandbag")
    confidential = file_report(
        production,
        confidential_reporter,
        Category.MISFIRE,
        title="Misfire on stage 2",
        identity=Identity.CONFIDENTIAL,
    )
    anonymous = file_report(production, None, Category.FATIGUE, title="Fourteen-hour days")
    member(other_production, Role.DEPARTMENT_HEAD, Department.GRIP, full_name="Otto Otherhead")
    elsewhere = file_report(other_production, outsider, Category.OTHER, title="Other show's ladder")
    report_escalate(report_id=named.pk, expected_level=named.escalation_level, force=True)
    fail_notification(Notification.objects.filter(report=named).first())
    Attachment.objects.create(
        report=named,
        file="attachments/x/sandbag.jpg",
        original_name="sandbag.jpg",
        content_type="image/jpeg",
        size=1234,
        sha256="0" * 64,
    )
    DigestRun.objects.create(production=production, week_start=date.today() - timedelta(days=7), recipients=3)
    Heartbeat.objects.update_or_create(name="sweeper", defaults={"at": timezone.now(), "detail": {"escalated": 0}})
    WarningTerm.objects.create(words="prop gun", language=WarningTerm.Language.ENGLISH)
    # The armory: a weapon, a lot, and live rounds refused with a report SafeTrack filed.
    weapon(production, ladder_cast["armorer"])
    ammo_lot(production, ladder_cast["armorer"])
    live = ammunition_stock(
        production=production, user=ladder_cast["armorer"], kind=LIVE, description=".45 ACP", count=1
    )
    # Shooting days: a firearms day with its meeting and one attendance, and a time request.
    armorer, safety = ladder_cast["armorer"], ladder_cast["safety"]
    today = timezone.localtime(timezone.now(), production.tzinfo).date()
    day = day_schedule(
        production=production,
        user=safety,
        plan=DayPlan(date=today, scenes="12", first_scene=clock(7, 0), wrap=clock(19, 0), firearms=True),
    )
    meeting_record(day_id=day.pk, user=safety, led_by=safety, held_at=clock(0, 0), topics="Cold guns")
    attendance_confirm(day_id=day.pk, user=crew)
    time_request_make(
        production=production,
        user=armorer,
        kind="prep",
        what="An hour before call",
        reason="Cleaning",
        needed_on=today + timedelta(days=1),
    )
    LogEntry.objects.log_actions(
        user_id=superuser.pk, queryset=Report.objects.filter(pk=named.pk), action_flag=CHANGE, change_message="test"
    )
    return {
        "named": named,
        "confidential": confidential,
        "anonymous": anonymous,
        "elsewhere": elsewhere,
        "live": live.live_report,
    }
