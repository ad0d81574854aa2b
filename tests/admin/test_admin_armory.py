"""The armory in the admin: a production admin adds and corrects weapons and lots through the services
(so each change is on the armory trail with their name), reads the trail, and sees only their productions."""

import pytest
from django.urls import reverse

from incidents.armory_chain import armory_trail_check
from incidents.models import AmmoLot, ArmoryEvent, ArmoryEventKind, Weapon, WeaponStatus
from tests.factories import ammo_lot, weapon

pytestmark = pytest.mark.django_db


def test_a_production_admin_adds_a_weapon_and_the_trail_names_them(client, production, production_admin):
    client.force_login(production_admin)

    response = client.post(
        reverse("admin:incidents_weapon_add"),
        {"production": production.pk, "kind": "airsoft", "make": "Tokyo Marui", "model_name": "G17", "serial": "AS-1"},
    )

    assert response.status_code == 302
    added = Weapon.objects.get()
    event = ArmoryEvent.objects.get(production=production)
    assert (event.kind, event.actor) == (ArmoryEventKind.WEAPON_ADDED, production_admin)
    assert armory_trail_check(production.pk).intact
    assert added.serial == "AS-1"


def test_a_duplicate_number_in_the_admin_is_a_form_error_not_a_crash(client, production, production_admin, armorer):
    revolver = weapon(production, armorer, serial="SAA-7")
    weapon(production, armorer, serial="SAA-8")
    client.force_login(production_admin)

    response = client.post(
        reverse("admin:incidents_weapon_change", args=[revolver.pk]),
        {"kind": "blank_firing", "make": "Colt", "model_name": "SAA", "serial": "saa-8", "retire_reason": ""},
    )

    assert response.status_code == 200
    assert "already has a weapon numbered saa-8" in response.content.decode()


def test_retiring_from_the_admin_needs_the_weapon_in_the_armory_and_goes_on_the_trail(
    client, production, production_admin, armorer
):
    revolver = weapon(production, armorer)
    client.force_login(production_admin)

    client.post(
        reverse("admin:incidents_weapon_change", args=[revolver.pk]),
        {
            "kind": "blank_firing",
            "make": "Colt",
            "model_name": "Single Action Army",
            "serial": "SAA-7",
            "retire_reason": "Sent back to the rental house",
        },
    )

    assert Weapon.objects.get().status == WeaponStatus.RETIRED
    assert ArmoryEvent.objects.filter(kind=ArmoryEventKind.WEAPON_RETIRED, actor=production_admin).exists()


def test_changing_a_count_in_the_admin_needs_a_reason(client, production, production_admin, armorer):
    lot = ammo_lot(production, armorer, count=50)
    client.force_login(production_admin)
    url = reverse("admin:incidents_ammolot_change", args=[lot.pk])

    refused = client.post(url, {"count": "40", "reason": ""})
    client.post(url, {"count": "40", "reason": "Ten fired in rehearsal, counted by Pat"})

    assert "Give the reason" in refused.content.decode()
    assert AmmoLot.objects.get().count == 40
    assert ArmoryEvent.objects.filter(kind=ArmoryEventKind.LOT_COUNTED).get().payload["reason"].startswith("Ten fired")


def test_the_armory_trail_in_the_admin_reads_as_sentences_and_stays_in_scope(
    client, production, other_production, production_admin, armorer, outsider
):
    weapon(production, armorer)
    elsewhere = weapon(other_production, outsider, serial="FAR-1")
    client.force_login(production_admin)

    page = client.get(reverse("admin:incidents_armoryevent_changelist")).content.decode()

    assert "Arden Armorer added Colt Single Action Army #SAA-7" in page
    assert "FAR-1" not in page
    assert client.get(reverse("admin:incidents_weapon_change", args=[elsewhere.pk])).status_code == 302
