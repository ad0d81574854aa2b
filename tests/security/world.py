"""One production with everyone who can look at it, and a mirror production nobody here belongs to.

The security tests ask "who may see and do what" of every page. They need, once per test, a cast with
one person per role and, in THE production, one object of each kind a URL can name: a named report (with
an attachment and an emailed acknowledge link), a confidential one, a resolved one, a stop-work call and
an anonymous report with its receipt. The same objects exist in a production none of the cast belongs to,
so "someone else's report is 404" is checked with a real report, not a missing id.
"""

import io
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as clock

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import Department, Membership, Production, Role, User
from incidents.categories import Category
from incidents.forms.anonymous import started_token
from incidents.models import (
    AmmoLot,
    ArmoryEvent,
    ArmoryGap,
    Attachment,
    CorrectiveAction,
    CustodyRecord,
    DigestRun,
    Event,
    Heartbeat,
    Identity,
    MeetingAttendance,
    Notification,
    Report,
    ShootingDay,
    TimeRequest,
    WarningTerm,
    Weapon,
    WitnessStatement,
)
from incidents.notifications.message import ack_token
from incidents.services.actions import action_mark_done
from incidents.services.armory.days import DayPlan, attendance_confirm, day_schedule, meeting_record
from incidents.services.armory.inventory import LIVE, ammunition_stock
from incidents.services.armory.time_requests import time_request_make
from incidents.services.attachments import attachments_save, upload_clean
from incidents.services.filing import report_file
from incidents.services.handling import report_acknowledge, report_resolve
from incidents.services.investigations import statement_add
from incidents.services.receipt import receipt_new
from incidents.services.stop_work import stop_work_call
from tests.factories import (
    ProductionFactory,
    UserFactory,
    ammo_lot,
    check_out,
    draft,
    file_report,
    investigate,
    member,
    plan_actions,
    weapon,
)

PRODUCTION_ADMINS = "Production admins"

HANDLER_ROLES = ["department_head", "armorer", "safety", "upm", "producer", "executive"]
# Everyone the matrix asks about, in the order its failures are listed.
ROLES = [
    "anonymous",  # a visitor who is not logged in
    "reporter",  # crew of the production, who filed the reports below
    "crew",  # crew of the production who did not
    "stranger",  # crew of another production
    "outsider",  # a producer of another production
    *HANDLER_ROLES,  # THE production's handlers, each rank
    "staff",  # a production-scoped admin (Production admins group, Production.admins), not a member
    "superuser",
]
GROUPS = {
    "members": ["reporter", "crew", *HANDLER_ROLES],
    "handlers": HANDLER_ROLES,
    "crew_here": ["reporter", "crew"],
    "strangers": ["stranger", "outsider"],
    "logged_in": ROLES[1:],
    "not_staff": ROLES[:-2],
    "everyone": ROLES,
}


def jpeg_bytes(size: tuple[int, int] = (8, 8), color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()


def photo(name: str = "photo.jpg", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else jpeg_bytes(), content_type="image/jpeg")


def anonymous_form_started() -> str:
    """A start time old enough for the anonymous form's "too fast" check."""
    return started_token(time.time() - 30)


@dataclass
class Objects:
    """One of each thing a URL can name, in one production."""

    production: Production
    reporter: User
    report: Report  # named, open at level 1
    attachment: Attachment
    ack_notification: Notification  # the level-1 department head's, whose token is in the link
    ack_token: str
    confidential: Report
    resolved: Report
    stop_work: Report
    anonymous: Report
    receipt: str
    flagged: Report  # a fatigue report the buried-warning scanner flagged "possible firearm concern"
    membership: Membership
    digest: DigestRun
    weapon: Weapon
    lot: AmmoLot
    live_report: Report  # filed by SafeTrack when live rounds were offered to the armory
    custody: CustodyRecord  # a prop out with the reporter, the safety coordinator as its 1st AD, unconfirmed
    statement: WitnessStatement  # of the stop-work call's investigation, opened by the safety coordinator
    day: ShootingDay  # today, a firearms day whose safety meeting is recorded (nobody confirmed attendance)
    day_without_meeting: ShootingDay  # yesterday, no flags, no meeting recorded
    time_request: TimeRequest  # the armorer's, waiting for an answer
    attendance: MeetingAttendance  # at today's meeting, by a member outside the cast (the cast has not confirmed)
    # A report resolving through two corrective actions owned by a crew member who did not file it: one to
    # do, one marked done with a photo as evidence (waiting to be verified).
    actioned: Report
    action_todo: CorrectiveAction
    action_done: CorrectiveAction
    evidence: Attachment

    @property
    def armory_event(self) -> ArmoryEvent:
        return ArmoryEvent.objects.filter(production=self.production).order_by("seq").first()

    @property
    def armory_gap(self) -> ArmoryGap:
        return ArmoryGap.objects.get(report=self.live_report)

    @property
    def event(self) -> Event:
        return self.report.events.order_by("seq").first()


@dataclass
class World:
    here: Objects
    elsewhere: Objects  # a production nobody in `users` belongs to
    other_production: Production  # where the stranger and the outsider belong
    users: dict[str, User | None]
    heartbeat: Heartbeat
    warning_term: WarningTerm
    freelancer: User  # crew on THE production and on the mirror one: may own an action on either
    log_entries: dict[str, LogEntry] = field(default_factory=dict)
    axes: dict[str, object] = field(default_factory=dict)

    @property
    def production(self) -> Production:
        return self.here.production


def production_objects(production: Production, reporter: User, handler: User, owner: User) -> Objects:
    """Reports of every kind filed by `reporter`; `handler` (a level-1 handler) resolves one, and plans
    corrective actions on another, owned by `owner` (crew)."""
    report = file_report(production, reporter, Category.OTHER, title="Loose sandbag on stand 3")
    (attachment,) = attachments_save(report=report, uploads=[upload_clean(photo("sandbag.jpg"))])
    notification = Notification.objects.filter(report=report, recipient=handler).order_by("pk").first()
    confidential = file_report(
        production, reporter, Category.FATIGUE, title="Sixteen-hour days", identity=Identity.CONFIDENTIAL
    )
    resolved = file_report(production, reporter, Category.RIGGING, title="Unsecured truss")
    report_acknowledge(report_id=resolved.pk, user=handler)
    resolved = report_resolve(report_id=resolved.pk, user=handler, resolution="Truss pinned and checked.")
    stop = stop_work_call(production=production, caller=reporter, reason="Live round in the prop cart")
    receipt = receipt_new()
    anonymous = report_file(
        production=production,
        reporter=None,
        draft=draft(Category.VEHICLES, title="Picture car brakes"),
        receipt_hash=receipt.hash,
    )
    digest = DigestRun.objects.create(production=production, week_start=date.today() - timedelta(days=7))
    flagged = file_report(
        production,
        reporter,
        Category.FATIGUE,
        title="Eighteen-hour day",
        description="We were all exhausted. During the rehearsal the gun went off twice.",
    )
    armorer = Membership.objects.get(production=production, role=Role.ARMORER).user
    revolver = weapon(production, armorer)
    lot = ammo_lot(production, armorer)
    live = ammunition_stock(production=production, user=armorer, kind=LIVE, description=".45 ACP", count=2)
    safety = Membership.objects.get(production=production, role=Role.SAFETY).user
    prop = weapon(production, armorer, kind="rubber", make="Prop Co", model_name="Rubber revolver", serial="RUB-1")
    held = check_out(prop, armorer, reporter, safety)
    investigate(stop, safety)
    statement = statement_add(report_id=stop.pk, user=safety, witness="Dee Witness", upload=upload_clean(photo()))
    today = timezone.localtime(timezone.now(), production.tzinfo).date()
    day = day_schedule(
        production=production,
        user=safety,
        plan=DayPlan(date=today, scenes="12, 14A", first_scene=clock(7, 0), wrap=clock(19, 0), firearms=True),
    )
    meeting_record(day_id=day.pk, user=safety, led_by=safety, held_at=clock(0, 0), topics="Cold guns, sightlines")
    day_without_meeting = day_schedule(
        production=production,
        user=safety,
        plan=DayPlan(date=today - timedelta(days=1), scenes="3", first_scene=clock(8, 0), wrap=clock(18, 0)),
    )
    attendee = member(production, Role.CREW, Department.CAMERA, full_name=f"Attendee {production.name}")
    attendance = attendance_confirm(day_id=day.pk, user=attendee)
    asked = time_request_make(
        production=production,
        user=armorer,
        kind="securing",
        what="Two hours before call",
        reason="No safe on the truck",
        needed_on=today + timedelta(days=2),
    )
    actioned = file_report(production, reporter, Category.RIGGING, title="Ladder without feet")
    todo, done = plan_actions(actioned, handler, owner, owner, summary="New ladders ordered.")
    action_mark_done(action_id=done.pk, user=owner, note="Old ladder binned.", uploads=[upload_clean(photo("bin.jpg"))])
    return Objects(
        production=production,
        reporter=reporter,
        report=report,
        attachment=attachment,
        ack_notification=notification,
        ack_token=ack_token(notification),
        confidential=confidential,
        resolved=resolved,
        stop_work=stop,
        anonymous=anonymous,
        receipt=receipt.code,
        flagged=flagged,
        membership=Membership.objects.get(user=reporter, production=production),
        digest=digest,
        weapon=revolver,
        lot=lot,
        live_report=live.live_report,
        custody=held,
        statement=statement,
        day=day,
        day_without_meeting=day_without_meeting,
        time_request=asked,
        attendance=attendance,
        actioned=actioned,
        action_todo=todo,
        action_done=done,
        evidence=Attachment.objects.get(action=done),
    )


def build_world() -> World:
    production = ProductionFactory(name="Dust Devil")
    other = ProductionFactory(name="Other Show")
    elsewhere = ProductionFactory(name="Elsewhere")
    users: dict[str, User | None] = {"anonymous": None}
    users["reporter"] = member(production, Role.CREW, Department.GRIP, full_name="Gabi Grip")
    users["crew"] = member(production, Role.CREW, Department.CAMERA, full_name="Cam Operator")
    users["stranger"] = member(other, Role.CREW, Department.GRIP, full_name="Sid Stranger")
    users["outsider"] = member(other, Role.PRODUCER, Department.PRODUCTION, full_name="Olly Outsider")
    departments = {"department_head": Department.GRIP, "armorer": Department.PROPS}
    for role in HANDLER_ROLES:
        users[role] = member(
            production, role, departments.get(role, Department.PRODUCTION), full_name=f"{role.title()} Here"
        )
    staff = UserFactory(is_staff=True, full_name="Pat Scoped")
    staff.groups.add(Group.objects.get(name=PRODUCTION_ADMINS))
    production.admins.add(staff)
    users["staff"] = staff
    users["superuser"] = UserFactory(is_staff=True, is_superuser=True, full_name="Sam Admin")

    # The mirror production: its own crew and handlers, none of them in the cast.
    far_reporter = member(elsewhere, Role.CREW, Department.GRIP, full_name="Far Reporter")
    far_head = member(elsewhere, Role.DEPARTMENT_HEAD, Department.GRIP, full_name="Far Head")
    for role in HANDLER_ROLES[1:]:
        member(elsewhere, role, Department.PRODUCTION, full_name=f"Far {role}")

    far_crew = member(elsewhere, Role.CREW, Department.CAMERA, full_name="Far Crew")
    freelancer = member(production, Role.CREW, Department.ELECTRIC, full_name="Fran Freelance")
    Membership.objects.create(user=freelancer, production=elsewhere, role=Role.CREW, department=Department.ELECTRIC)
    here = production_objects(production, users["reporter"], users["department_head"], users["crew"])
    far = production_objects(elsewhere, far_reporter, far_head, far_crew)
    world = World(
        here=here,
        elsewhere=far,
        other_production=other,
        users=users,
        heartbeat=Heartbeat.objects.create(name="sweeper", at=timezone.now(), detail={}),
        warning_term=WarningTerm.objects.create(words="prop gun"),
        freelancer=freelancer,
    )
    for who in ("staff", "superuser"):
        world.log_entries[who] = LogEntry.objects.log_actions(
            user_id=users[who].pk,
            queryset=Production.objects.filter(pk=production.pk),
            action_flag=CHANGE,
            change_message=f"changed by {who}",
            single_object=True,
        )
    seen = {"user_agent": "test", "ip_address": "192.0.2.1", "username": "x@example.com", "http_accept": "*/*"}
    world.axes = {
        "accessattempt": AccessAttempt.objects.create(**seen, path_info="/accounts/login/", failures_since_start=1),
        "accesslog": AccessLog.objects.create(**seen, path_info="/accounts/login/"),
        "accessfailurelog": AccessFailureLog.objects.create(**seen, path_info="/accounts/login/"),
    }
    return world
