"""Check-out and check-in pages without JavaScript: refusals land on the field they are about, what was
typed stays, and a handover without the check needs a second, explicit tick."""

import pytest
from django.urls import reverse

from incidents.models import AmmoKind, CustodyRecord, GapKind, Report
from tests.factories import ammo_lot, check_out, firearms_day, member, weapon

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(production):
    return member(production, full_name="Rhett Actor", department="cast")


@pytest.fixture
def revolver(production, armorer, safety):
    """A real firearm, on a firearms day whose safety meeting is recorded: free to go out (the gate that
    keeps it in the armory otherwise has its own tests, in test_armory_days)."""
    firearms_day(production, safety)
    return weapon(production, armorer)


def _form(actor, safety, **fields) -> dict[str, str]:
    return {
        "handed_to": str(actor.pk),
        "first_ad": str(safety.pk),
        "scene": "42A",
        "load": "cold",
        "rounds": "0",
        "checked": "on",
        "both_present": "",
        **fields,
    }


def _url(production, revolver) -> str:
    return reverse("armory_check_out", args=[production.pk, revolver.pk])


def test_a_check_out_without_the_tick_asks_again_and_keeps_what_was_chosen(
    client, production, armorer, safety, actor, revolver
):
    client.force_login(armorer)
    data = _form(actor, safety, scene="Scene 7, take 3")
    del data["checked"]

    page = client.post(_url(production, revolver), data).content.decode()

    assert "Show the weapon and check it in front of them, then tick the box." in page
    assert "Hand it over without the check anyway (this files a report)" in page
    assert 'value="Scene 7, take 3"' in page
    assert not CustodyRecord.objects.exists()


def test_handing_over_without_the_check_on_purpose_files_a_report_and_says_so(
    client, production, armorer, safety, actor, revolver
):
    client.force_login(armorer)
    data = _form(actor, safety, unchecked_handover="on")
    del data["checked"]

    response = client.post(_url(production, revolver), data, follow=True)

    report = Report.objects.get()
    assert report.armory_gap.kind == GapKind.UNCHECKED_HANDOVER
    assert f"is out without the check: SafeTrack filed a report (#{report.pk})" in response.content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rounds": "six"}, "whole number, like 12"),
        ({"load": "blanks", "rounds": "999"}, "between 1 and the 50 of that lot"),
        ({"load": "live"}, "Choose cold, dummies or blanks."),
        ({"scene": ""}, "Give the scene, e.g. 42A."),
        ({"first_ad": "999999"}, "Choose a member of this production."),
    ],
)
def test_a_bad_check_out_is_explained_on_its_field(
    client, production, armorer, safety, actor, revolver, fields, message
):
    lot = ammo_lot(production, armorer, kind=AmmoKind.BLANK, count=50)
    client.force_login(armorer)

    page = client.post(_url(production, revolver), _form(actor, safety, lot=str(lot.pk), **fields)).content.decode()

    assert message in page
    assert not CustodyRecord.objects.exists()


def test_the_check_out_form_does_not_offer_the_armorer_themself_as_receiver_or_1st_ad(
    client, production, armorer, safety, actor, revolver
):
    client.force_login(armorer)

    form = client.get(_url(production, revolver)).context["form"]

    for name in ("handed_to", "first_ad"):
        offered = [choice for choice, _label in form.fields[name].choices if choice]
        assert armorer.pk not in [int(str(choice)) for choice in offered]
        assert actor.pk in [int(str(choice)) for choice in offered]


@pytest.mark.parametrize("field", ["handed_to", "first_ad"])
def test_an_armorer_who_names_themself_on_a_check_out_is_told_plainly_to_choose_someone_else(
    client, production, armorer, safety, actor, revolver, field
):
    client.force_login(armorer)
    data = _form(actor, safety, **{field: str(armorer.pk)})

    page = client.post(_url(production, revolver), data).content.decode()

    assert "You are checking the weapon out" in page and "someone else" in page
    assert "Choose a member of this production." not in page
    assert not CustodyRecord.objects.exists()


def test_whoever_checked_a_weapon_out_is_not_offered_to_confirm_it_and_is_refused_if_they_try(
    client, production, armorer, safety, actor, revolver
):
    record = check_out(revolver, armorer, actor, safety)
    CustodyRecord.objects.filter(pk=record.pk).update(handed_to=armorer)  # written before it was refused
    client.force_login(armorer)

    page = client.get(record.get_absolute_url()).content.decode()
    refused = client.post(reverse("armory_custody_confirm", args=[production.pk, record.pk]))

    assert "I confirm: it was shown to me" not in page
    assert "Record that Arden Armorer was here for the check" not in page
    assert "Record that Ada FirstAD (1st AD) was here for the check" in page
    assert refused.status_code == 403 and "You checked this weapon out" in refused.content.decode()
    record.refresh_from_db()
    assert record.receiver_confirmed_at is None


def test_someone_from_another_production_cannot_be_handed_a_weapon(
    client, production, armorer, safety, outsider, revolver
):
    client.force_login(armorer)

    page = client.post(_url(production, revolver), _form(outsider, safety)).content.decode()

    assert "Choose a member of this production." in page
    assert not CustodyRecord.objects.exists()


def test_a_count_that_does_not_add_up_tells_the_armorer_a_critical_report_was_filed(
    client, production, armorer, safety, actor, revolver
):
    lot = ammo_lot(production, armorer, kind=AmmoKind.DUMMY, count=12)
    record = check_out(revolver, armorer, actor, safety, load="dummies", lot=lot, rounds=6)
    client.force_login(armorer)

    response = client.post(
        reverse("armory_check_in", args=[production.pk, record.pk]),
        {"rounds_back": "5", "rounds_fired": "0"},
        follow=True,
    )

    report = Report.objects.get()
    assert report.severity == "critical"
    page = response.content.decode()
    assert f"The count does not add up: SafeTrack filed a critical report (#{report.pk})" in page
    assert "Count does not add up" in page  # the record says it too


def test_rounds_that_came_back_extra_are_shown_set_aside_and_the_armorer_is_told_they_were_not_stocked(
    client, production, armorer, safety, actor, revolver
):
    lot = ammo_lot(production, armorer, kind=AmmoKind.BLANK, count=200)
    record = check_out(revolver, armorer, actor, safety, load="blanks", lot=lot, rounds=6)
    client.force_login(armorer)

    response = client.post(
        reverse("armory_check_in", args=[production.pk, record.pk]),
        {"rounds_back": "10", "rounds_fired": "0"},
        follow=True,
    )

    page = response.content.decode()
    assert "4 rounds more than went out were not added to the lot" in page
    assert "4 set aside, not in the lot" in page  # the record says it too
    lot.refresh_from_db()
    assert lot.count == 200


def test_only_the_two_people_named_confirm_a_check_out(client, production, armorer, safety, actor, crew, revolver):
    record = check_out(revolver, armorer, actor, safety)
    confirm = reverse("armory_custody_confirm", args=[production.pk, record.pk])

    client.force_login(crew)
    assert client.get(record.get_absolute_url()).status_code == 403
    assert client.post(confirm).status_code == 403
    client.force_login(actor)
    page = client.get(record.get_absolute_url()).content.decode()
    assert "I confirm: it was shown to me cold and checked" in page
    client.post(confirm)
    record.refresh_from_db()
    assert record.receiver_confirmed_at is not None and record.first_ad_confirmed_at is None
