from datetime import date, time, timedelta

import factory
from django.utils import timezone

from accounts.models import Department, Membership, Production, Role, User
from incidents.categories import Category
from incidents.models import (
    AmmoKind,
    AmmoLot,
    CustodyRecord,
    Investigation,
    Report,
    ShootingDay,
    Weapon,
    WeaponKind,
)
from incidents.services.actions import ActionPlan, actions_plan
from incidents.services.armory.custody import CheckOut, custody_check_out
from incidents.services.armory.days import DayPlan, day_schedule, meeting_record
from incidents.services.armory.inventory import WeaponDraft, ammunition_stock, weapon_add
from incidents.services.filing import ReportDraft, report_file
from incidents.services.investigations import InvestigationDraft, investigation_save
from incidents.services.policy import policy_create_default

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProductionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Production
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Production {n}")
    timezone = "America/Denver"

    @factory.post_generation
    def policy(obj, create, extracted, **kwargs):
        if create:
            policy_create_default(production=obj)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    production = factory.SubFactory(ProductionFactory)
    role = Role.CREW
    department = Department.GRIP


def member(production: Production, role: str = Role.CREW, department: str = Department.GRIP, **user_fields) -> User:
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, production=production, role=role, department=department)
    return user


def draft(category: str = Category.OTHER, **fields) -> ReportDraft:
    values = {
        "category": category,
        "title": "Loose sandbag on the lighting stand",
        "description": "The sandbag on stand 3 slid off twice during the last setup.",
        "occurred_at": timezone.now() - timedelta(minutes=5),
        "location": "Stage 2",
        "department": Department.GRIP,
    }
    values.update(fields)
    return ReportDraft(**values)


def file_report(production: Production, reporter: User | None, category: str = Category.OTHER, **fields):
    """File as the report form does. A request loads the production afresh, and with it the version its
    per-process caches (ladder, handlers, contacts) key on: so does this."""
    production.refresh_from_db(fields=["config_version"])
    return report_file(production=production, reporter=reporter, draft=draft(category, **fields))


# --- the armory: records go through the services, so their trail is real -----------------------------


def weapon(production: Production, keeper: User, **fields) -> Weapon:
    values = {"kind": WeaponKind.BLANK_FIRING, "make": "Colt", "model_name": "Single Action Army", "serial": "SAA-7"}
    values.update(fields)
    return weapon_add(production=production, user=keeper, draft=WeaponDraft(**values))


def ammo_lot(production: Production, keeper: User, kind: str = AmmoKind.BLANK, count: int = 50, **fields) -> AmmoLot:
    description = fields.pop("description", ".45 Colt quarter-load blanks")
    stocked = ammunition_stock(production=production, user=keeper, kind=kind, description=description, count=count)
    assert stocked.lot is not None
    return stocked.lot


def firearms_day(
    production: Production, planner: User, *, on: date | None = None, meeting: bool = True, **plan
) -> ShootingDay:
    """Today (or `on`) on the schedule as a firearms day, its safety meeting recorded (held at 00:00) unless
    told otherwise: a firearm leaves the armory only on such a day. `planner` is the safety coordinator,
    the UPM or a producer."""
    values = {"scenes": "12, 14A", "first_scene": time(7, 0), "wrap": time(19, 0), "firearms": True, **plan}
    day = on or timezone.localtime(timezone.now(), production.tzinfo).date()
    shooting_day = day_schedule(production=production, user=planner, plan=DayPlan(date=day, **values))
    if meeting:
        meeting_record(
            day_id=shooting_day.pk, user=planner, led_by=planner, held_at=time(0, 0), topics="Cold guns, sightlines"
        )
    return shooting_day


def check_out(weapon: Weapon, keeper: User, handed_to: User, first_ad: User, **fields) -> CustodyRecord:
    """A weapon shown and checked in front of `handed_to` and `first_ad`, out cold unless told otherwise."""
    values = {"scene": "42A", "checked": True, **fields}
    outcome = custody_check_out(
        weapon_id=weapon.pk, user=keeper, checkout=CheckOut(handed_to=handed_to, first_ad=first_ad, **values)
    )
    return outcome.record


# --- corrective actions: planned through the service, so the report's trail is real -------------------


def plan_actions(report, planner: User, *owners: User, due_in_days: int = 3, summary: str = "Stand 3 re-rigged."):
    """One action per owner on `report`, planned by `planner` (who may resolve it)."""
    today = timezone.localdate(timezone.now(), report.production.tzinfo)
    plans = [
        ActionPlan(
            what=f"Fix number {n}",
            done_means=f"Checked and signed off ({n})",
            owner_id=owner.pk,
            due_on=today + timedelta(days=due_in_days),
        )
        for n, owner in enumerate(owners, start=1)
    ]
    return actions_plan(report_id=report.pk, user=planner, summary=summary, plans=plans)


# --- investigations (issue 20) --------------------------------------------------------------------------


def investigate(report: Report, investigator: User, **fields) -> Investigation:
    """An investigation opened through its service, so its trail event is real."""
    values = {
        "what_happened": "The armorer handed the revolver over without showing it clear.",
        "whys": ["Nobody checked it at the handover.", "The handover had no checklist."],
        "factors": ["time_pressure"],
    }
    values.update(fields)
    return investigation_save(report_id=report.pk, user=investigator, draft=InvestigationDraft(**values))


def plan_form_data(summary: str, *owners: User, due_in_days: int = 3, rows: int = 3) -> dict[str, str]:
    """What the report page's resolve form posts: the summary, and one action per owner (the other rows
    of the form left empty)."""
    due = (timezone.localdate() + timedelta(days=due_in_days)).isoformat()
    data = {
        "resolution": summary,
        "action-TOTAL_FORMS": str(max(rows, len(owners))),
        "action-INITIAL_FORMS": "0",
        "action-MIN_NUM_FORMS": "0",
        "action-MAX_NUM_FORMS": "10",
    }
    for n, owner in enumerate(owners):
        data.update(
            {
                f"action-{n}-what": f"Fix number {n + 1}",
                f"action-{n}-owner": str(owner.pk),
                f"action-{n}-due_on": due,
                f"action-{n}-done_means": f"Checked and signed off ({n + 1})",
            }
        )
    return data
