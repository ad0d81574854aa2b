"""Shooting days in the admin: a production admin adds and changes them through the days service (so each
change is on the armory trail with their name), a taken date or a bad plan is a form error, and days are
never deleted; meetings, attendance and time requests are read-only there."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.armory_chain import armory_trail_check
from incidents.models import ArmoryEvent, ArmoryEventKind, ShootingDay
from incidents.services.armory.days import DayPlan, day_schedule

pytestmark = pytest.mark.django_db


def _today(production):
    return timezone.localtime(timezone.now(), production.tzinfo).date()


def _form(production, **fields):
    return {
        "production": production.pk,
        "date": _today(production).isoformat(),
        "scenes": "12, 14A",
        "first_scene": "07:00",
        "wrap": "19:00",
        "firearms": "on",
        **fields,
    }


def test_a_production_admin_adds_a_day_and_the_trail_names_them(client, production, production_admin):
    client.force_login(production_admin)

    response = client.post(reverse("admin:incidents_shootingday_add"), _form(production))

    assert response.status_code == 302
    day = ShootingDay.objects.get()
    assert day.firearms and day.scenes == "12, 14A"
    event = ArmoryEvent.objects.get(production=production)
    assert (event.kind, event.actor) == (ArmoryEventKind.DAY_SCHEDULED, production_admin)
    assert armory_trail_check(production.pk).intact


def test_changing_a_day_in_the_admin_goes_through_the_service(client, production, production_admin, safety):
    plan = DayPlan(date=_today(production), scenes="1", first_scene=time(7), wrap=time(19), firearms=True)
    day = day_schedule(production=production, user=safety, plan=plan)
    client.force_login(production_admin)

    response = client.post(
        reverse("admin:incidents_shootingday_change", args=[day.pk]), _form(production, scenes="1, 2", firearms="")
    )

    assert response.status_code == 302
    day.refresh_from_db()
    assert (day.scenes, day.firearms) == ("1, 2", False)
    assert ArmoryEvent.objects.filter(kind=ArmoryEventKind.DAY_CHANGED, actor=production_admin).exists()
    assert armory_trail_check(production.pk).intact


@pytest.mark.parametrize(
    "fields",
    [{"scenes": "   "}, {"date": "1999-01-01"}, {"first_scene": "25:00"}, {"date": "taken"}],
)
def test_a_bad_day_in_the_admin_is_a_form_error(client, production, production_admin, safety, fields):
    taken = _today(production) + timedelta(days=1)
    day_schedule(
        production=production,
        user=safety,
        plan=DayPlan(date=taken, scenes="1", first_scene=time(7), wrap=time(19)),
    )
    if fields.get("date") == "taken":
        fields = {"date": taken.isoformat()}
    client.force_login(production_admin)

    response = client.post(reverse("admin:incidents_shootingday_add"), _form(production, **fields))

    assert response.status_code == 200
    assert ShootingDay.objects.count() == 1


def test_a_day_cannot_be_deleted_in_the_admin(client, production, superuser, safety):
    plan = DayPlan(date=_today(production), scenes="1", first_scene=time(7), wrap=time(19))
    day = day_schedule(production=production, user=safety, plan=plan)
    client.force_login(superuser)
    assert client.get(reverse("admin:incidents_shootingday_delete", args=[day.pk])).status_code == 403
