"""The armory's inventory pages, as the armorer and the crew use them on a phone without JavaScript:
forms that keep what was typed and say what is wrong, live rounds turned into a report."""

import pytest
from django.urls import reverse

from incidents.models import AmmoLot, ArmoryEvent, Report, Weapon
from tests.factories import ammo_lot, weapon

pytestmark = pytest.mark.django_db


def _weapon_form(**fields) -> dict[str, str]:
    return {"kind": "blank_firing", "make": "Colt", "model_name": "Single Action Army", "serial": "SAA-7", **fields}


def test_the_armorer_adds_a_weapon_and_finds_it_in_the_armory(client, production, armorer):
    client.force_login(armorer)

    response = client.post(reverse("armory_weapon_new", args=[production.pk]), _weapon_form(), follow=True)

    assert response.redirect_chain[-1][0] == reverse("armory", args=[production.pk])
    page = response.content.decode()
    assert "Colt Single Action Army #SAA-7 is in the armory." in page
    assert "In the armory" in page


def test_the_weapon_page_tells_its_story_in_sentences(client, production, armorer, safety):
    revolver = weapon(production, armorer)
    client.force_login(safety)
    client.post(
        reverse("armory_weapon_edit", args=[production.pk, revolver.pk]), _weapon_form(kind="replica", serial="SAA-07")
    )

    page = client.get(revolver.get_absolute_url()).content.decode()

    assert "Arden Armorer added Colt Single Action Army #SAA-7 (Real firearm firing blanks)." in page
    assert (
        "Ada FirstAD corrected Colt Single Action Army #SAA-07 "
        "(kind: Real firearm firing blanks → Non-firing replica; serial or prop number: SAA-7 → SAA-07)." in page
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"serial": ""}, "Give the serial or prop number."),
        ({"make": "x" * 101}, "Keep the make short."),
        ({"kind": "bazooka"}, "Choose a kind."),
        ({"serial": "SAA\x00-8"}, "Null characters are not allowed."),
        ({"serial": "saa-7 "}, "This production already has a weapon numbered saa-7."),
    ],
)
def test_a_bad_weapon_form_says_what_is_wrong_and_keeps_what_was_typed(client, production, armorer, fields, message):
    weapon(production, armorer)
    client.force_login(armorer)

    response = client.post(
        reverse("armory_weapon_new", args=[production.pk]), _weapon_form(model_name="Peacemaker", **fields)
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'value="Peacemaker"' in page
    assert Weapon.objects.count() == 1


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("12abc", "whole number, like 12"),
        ("-5", "cannot be negative"),
        ("100001", "up to 100000"),
        ("", "Give the number"),
    ],
)
def test_a_bad_round_count_is_explained(client, production, armorer, count, message):
    client.force_login(armorer)

    response = client.post(
        reverse("armory_ammunition_new", args=[production.pk]),
        {"kind": "blank", "description": ".45 Colt blanks", "count": count},
    )

    assert message in response.content.decode()
    assert 'value=".45 Colt blanks"' in response.content.decode()
    assert not AmmoLot.objects.exists()


def test_offering_live_rounds_stocks_nothing_and_opens_the_report_safetrack_filed(client, production, ladder_cast):
    client.force_login(ladder_cast["armorer"])

    response = client.post(
        reverse("armory_ammunition_new", args=[production.pk]),
        {"kind": "live", "description": ".45 ACP ball", "count": "3"},
        follow=True,
    )

    report = Report.objects.get()
    assert response.redirect_chain[-1][0] == report.get_absolute_url()
    page = response.content.decode()
    assert "Live ammunition is never stocked: nothing was added." in page
    assert "SafeTrack (automatic)" in page and "Filed by SafeTrack" in page
    assert "Nobody typed this report" in page
    assert not AmmoLot.objects.exists()


def test_a_lot_of_rounds_added_twice_by_a_double_tap_is_stocked_once(client, production, armorer):
    client.force_login(armorer)
    url = reverse("armory_ammunition_new", args=[production.pk])
    page = client.get(url).content.decode()
    key = page.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    data = {"kind": "blank", "description": ".45 Colt quarter-load blanks", "count": "200", "idempotency_key": key}

    first = client.post(url, data)
    again = client.post(url, data, follow=True)

    assert first.status_code == 302
    assert AmmoLot.objects.get().count == 200
    assert "added to the armory" in again.content.decode()
    assert ArmoryEvent.objects.filter(kind="lot_added").count() == 1


def test_a_recount_needs_a_reason(client, production, armorer):
    lot = ammo_lot(production, armorer, count=50)
    client.force_login(armorer)

    response = client.post(
        reverse("armory_ammunition_count", args=[production.pk, lot.pk]), {"count": "48", "reason": " "}
    )

    assert "Give the reason: it goes on the armory" in response.content.decode()
    assert AmmoLot.objects.get().count == 50


def test_the_crew_see_the_armory_without_its_inventory(client, production, crew, armorer):
    weapon(production, armorer)
    client.force_login(crew)

    page = client.get(reverse("armory", args=[production.pk])).content.decode()

    assert "SAA-7" not in page
    assert "Add a weapon" not in page
    assert "you confirm here that it was shown to you and checked" in page


def test_a_retired_weapon_cannot_be_retired_twice_from_a_stale_page(client, production, armorer):
    revolver = weapon(production, armorer)
    client.force_login(armorer)
    url = reverse("armory_weapon_retire", args=[production.pk, revolver.pk])
    client.post(url, {"reason": "Cracked frame"})

    response = client.post(url, {"reason": "Again"})

    assert "This weapon is already retired." in response.content.decode()
    assert ArmoryEvent.objects.filter(kind="weapon_retired").count() == 1
