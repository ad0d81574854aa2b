"""The chain of custody: a weapon out and back with every round counted, the confirmations of the
receiver and the 1st AD, and the gaps that file reports (no check, a count that does not add up)."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection

from incidents.access import may_act_on
from incidents.armory_chain import armory_trail_check
from incidents.categories import Category, Severity
from incidents.ladder import ladder_for
from incidents.models import (
    AmmoKind,
    AmmoLot,
    ArmoryEvent,
    ArmoryEventKind,
    ArmoryGap,
    CustodyRecord,
    GapKind,
    Identity,
    Load,
    Notification,
    Presence,
    Report,
    Weapon,
    WeaponKind,
    WeaponStatus,
)
from incidents.services.armory.custody import (
    FIRST_AD,
    RECEIVER,
    CheckOut,
    custody_check_in,
    custody_check_out,
    custody_confirm,
    custody_record_present,
)
from incidents.services.armory.inventory import weapon_retire
from incidents.services.handling import report_acknowledge
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


@pytest.fixture
def blanks(production, armorer):
    return ammo_lot(production, armorer, kind=AmmoKind.BLANK, count=50)


def _blanks_out(revolver, armorer, actor, safety, blanks, rounds=6, **fields):
    return check_out(revolver, armorer, actor, safety, load=Load.BLANKS, lot=blanks, rounds=rounds, **fields)


def test_a_weapon_goes_out_with_its_rounds_counted_and_comes_back_with_them(
    production, armorer, safety, actor, revolver, blanks
):
    record = _blanks_out(revolver, armorer, actor, safety, blanks)

    assert Weapon.objects.get().status == WeaponStatus.OUT
    assert AmmoLot.objects.get().count == 44
    out = ArmoryEvent.objects.get(kind=ArmoryEventKind.CHECKED_OUT)
    assert set(out.payload["snapshots"]) == {f"custody:{record.pk}", f"weapon:{revolver.pk}", f"lot:{blanks.pk}"}

    outcome = custody_check_in(record_id=record.pk, user=armorer, rounds_back=4, rounds_fired=2)

    assert outcome.gap_report is None and outcome.record.count_adds_up
    assert Weapon.objects.get().status == WeaponStatus.IN_ARMORY
    assert AmmoLot.objects.get().count == 48  # two blanks fired
    assert not Report.objects.exists()
    assert armory_trail_check(production.pk).intact


@pytest.mark.parametrize("who", ["crew", "department_head", "upm"])
def test_only_those_who_keep_the_armory_check_weapons_out_and_in(production, crew, ladder_cast, actor, revolver, who):
    person = {"crew": crew, **ladder_cast}[who]
    with pytest.raises(PermissionDenied):
        check_out(revolver, person, actor, ladder_cast["safety"])
    record = check_out(revolver, ladder_cast["armorer"], actor, ladder_cast["safety"])
    with pytest.raises(PermissionDenied):
        custody_check_in(record_id=record.pk, user=person, rounds_back=0, rounds_fired=0)
    assert CustodyRecord.objects.get().is_out


def test_a_weapon_already_out_is_refused_with_who_has_it(production, armorer, safety, actor, crew, revolver):
    check_out(revolver, armorer, actor, safety)

    with pytest.raises(ValidationError, match="already out, with Rhett Actor"):
        check_out(revolver, armorer, crew, safety)


def test_a_retired_weapon_cannot_go_out(production, armorer, safety, actor, revolver):
    weapon_retire(weapon_id=revolver.pk, user=armorer, reason="Cracked frame")
    with pytest.raises(ValidationError, match="retired"):
        check_out(revolver, armorer, actor, safety)


def test_the_receiver_and_the_1st_ad_are_two_members_of_the_production(
    production, armorer, safety, actor, outsider, revolver
):
    with pytest.raises(ValidationError, match="two different people"):
        check_out(revolver, armorer, safety, safety)
    with pytest.raises(ValidationError, match="members of this production"):
        check_out(revolver, armorer, outsider, safety)
    assert not CustodyRecord.objects.exists()


@pytest.mark.parametrize("as_whom", ["receiver", "first_ad"])
def test_the_armorer_cannot_check_a_weapon_out_to_themselves_or_witness_their_own_check(
    production, armorer, safety, actor, revolver, as_whom
):
    receiver, first_ad = (armorer, safety) if as_whom == "receiver" else (actor, armorer)

    with pytest.raises(ValidationError, match="someone else") as refused:
        check_out(revolver, armorer, receiver, first_ad)

    assert refused.value.code == ("handed_to" if as_whom == "receiver" else "first_ad")
    assert "You are checking the weapon out" in refused.value.messages[0]
    assert not CustodyRecord.objects.exists() and Weapon.objects.get().status == WeaponStatus.IN_ARMORY


def test_whoever_checked_a_weapon_out_cannot_confirm_the_check_on_a_record_that_names_them(
    production, armorer, safety, actor, revolver
):
    record = check_out(revolver, armorer, actor, safety)
    # A record written before check-outs to oneself were refused: the armorer is also its receiver.
    CustodyRecord.objects.filter(pk=record.pk).update(handed_to=armorer)

    with pytest.raises(PermissionDenied, match="You checked this weapon out"):
        custody_confirm(record_id=record.pk, user=armorer)
    with pytest.raises(ValidationError, match="checked this weapon out") as refused:
        custody_record_present(record_id=record.pk, user=safety, party=RECEIVER)
    assert refused.value.code == "party"

    record.refresh_from_db()
    assert record.receiver_confirmed_at is None
    assert not ArmoryEvent.objects.filter(kind=ArmoryEventKind.CUSTODY_CONFIRMED).exists()
    custody_confirm(record_id=record.pk, user=safety)  # the 1st AD is someone else: their word still counts
    record.refresh_from_db()
    assert record.first_ad_confirmed_how == Presence.OWN_PHONE


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rounds": 51}, "between 1 and the 50 of that lot"),
        ({"rounds": 0}, "between 1 and the 50"),
        ({"load": Load.DUMMIES}, "Choose a lot of dummies"),
        ({"lot": None}, "Choose the lot"),
        ({"scene": "   "}, "Give the scene"),
    ],
)
def test_a_load_that_does_not_fit_is_refused(production, armorer, safety, actor, revolver, blanks, fields, message):
    values = {"load": Load.BLANKS, "lot": blanks, "rounds": 6, **fields}
    with pytest.raises(ValidationError, match=message):
        check_out(revolver, armorer, actor, safety, **values)
    assert AmmoLot.objects.get().count == 50 and Weapon.objects.get().status == WeaponStatus.IN_ARMORY


def test_a_rubber_prop_goes_out_cold_only(production, armorer, safety, actor, blanks):
    prop = weapon(production, armorer, kind=WeaponKind.RUBBER, serial="RUB-1")
    with pytest.raises(ValidationError, match="takes no rounds"):
        check_out(prop, armorer, actor, safety, load=Load.BLANKS, lot=blanks, rounds=2)
    assert check_out(prop, armorer, actor, safety).load == Load.COLD


def test_a_check_out_without_the_check_is_refused_until_the_armorer_says_so_and_then_files_a_report(
    production, ladder_cast, actor, revolver
):
    armorer, safety = ladder_cast["armorer"], ladder_cast["safety"]
    with pytest.raises(ValidationError, match="tick the box") as refused:
        check_out(revolver, armorer, actor, safety, checked=False)
    assert refused.value.code == "unchecked" and not CustodyRecord.objects.exists()

    outcome = custody_check_out(
        weapon_id=revolver.pk,
        user=armorer,
        checkout=CheckOut(handed_to=actor, first_ad=safety, scene="12", unchecked_handover=True),
    )

    report = outcome.gap_report
    assert (report.category, report.severity, report.identity) == (
        Category.UNSAFE_HANDLING,
        Severity.HIGH,
        Identity.SYSTEM,
    )
    assert "Arden Armorer handed Colt Single Action Army #SAA-7 (cold: no rounds) to Rhett Actor" in report.description
    gap = ArmoryGap.objects.get(report=report)
    assert (gap.kind, gap.custody, gap.weapon) == (GapKind.UNCHECKED_HANDOVER, outcome.record, revolver)
    assert Notification.objects.filter(report=report, recipient=ladder_cast["department_head"]).exists()
    assert armory_trail_check(production.pk).intact


def test_the_armorer_who_hands_a_weapon_over_without_the_check_cannot_acknowledge_the_report_about_it(
    production, ladder_cast, actor, revolver
):
    armorer, safety = ladder_cast["armorer"], ladder_cast["safety"]

    report = custody_check_out(
        weapon_id=revolver.pk,
        user=armorer,
        checkout=CheckOut(handed_to=actor, first_ad=safety, scene="12", unchecked_handover=True),
    ).gap_report

    # It starts at the first level (the department heads and the armorer): the armorer is who it is about,
    # so he is left out and the level above him, the safety coordinator, is told instead.
    assert report.concerns_person == armorer
    told = set(Notification.objects.filter(report=report).values_list("recipient_id", flat=True))
    assert armorer.pk not in told
    assert {ladder_cast["department_head"].pk, safety.pk} <= told
    ladder = ladder_for(production)
    assert not may_act_on(armorer, report, ladder)
    assert may_act_on(safety, report, ladder) and may_act_on(ladder_cast["producer"], report, ladder)
    with pytest.raises(PermissionDenied, match="it is about you"):
        report_acknowledge(report_id=report.pk, user=armorer)
    assert report_acknowledge(report_id=report.pk, user=safety).won


def test_the_receiver_and_the_1st_ad_confirm_from_their_phones_once_each(
    production, armorer, safety, actor, crew, revolver
):
    record = check_out(revolver, armorer, actor, safety)

    custody_confirm(record_id=record.pk, user=actor)
    custody_confirm(record_id=record.pk, user=actor)  # a second tap changes nothing
    custody_confirm(record_id=record.pk, user=safety)
    with pytest.raises(PermissionDenied):
        custody_confirm(record_id=record.pk, user=crew)

    record.refresh_from_db()
    assert record.receiver_confirmed_how == record.first_ad_confirmed_how == Presence.OWN_PHONE
    confirmations = ArmoryEvent.objects.filter(kind=ArmoryEventKind.CUSTODY_CONFIRMED)
    assert [(e.actor, e.payload["party"]) for e in confirmations.order_by("seq")] == [
        (actor, "receiver"),
        (safety, "first_ad"),
    ]


def test_extra_rounds_back_at_check_in_are_not_added_to_the_lot_and_the_report_says_so(
    production, ladder_cast, actor, revolver
):
    armorer, safety = ladder_cast["armorer"], ladder_cast["safety"]
    lot = ammo_lot(production, armorer, kind=AmmoKind.BLANK, count=200)
    record = check_out(revolver, armorer, actor, safety, load=Load.BLANKS, lot=lot, rounds=6)
    assert AmmoLot.objects.get().count == 194

    outcome = custody_check_in(record_id=record.pk, user=armorer, rounds_back=10, rounds_fired=0)

    assert AmmoLot.objects.get().count == 200  # the six that went out, not the four of unknown origin
    assert outcome.record.rounds_set_aside == 4
    back = ArmoryEvent.objects.get(kind=ArmoryEventKind.CHECKED_IN)
    assert (back.payload["stocked"], back.payload["set_aside"]) == (6, 4)
    description = outcome.gap_report.description
    assert "counted 10 back and 0 fired" in description
    assert "4 rounds more than went out were not added to the lot" in description
    assert armory_trail_check(production.pk).intact


def test_rounds_back_with_a_weapon_that_fired_more_than_went_out_are_not_stocked(
    production, armorer, safety, actor, revolver, blanks
):
    record = _blanks_out(revolver, armorer, actor, safety, blanks)  # 6 of 50 out

    outcome = custody_check_in(record_id=record.pk, user=armorer, rounds_back=3, rounds_fired=5)

    assert AmmoLot.objects.get().count == 44 + 1  # only what can have come back: 6 out less 5 fired
    assert outcome.record.rounds_set_aside == 2
    assert outcome.gap_report is not None


def test_a_count_that_adds_up_sets_nothing_aside(production, armorer, safety, actor, revolver, blanks):
    record = _blanks_out(revolver, armorer, actor, safety, blanks)

    outcome = custody_check_in(record_id=record.pk, user=armorer, rounds_back=6, rounds_fired=0)

    assert outcome.record.rounds_set_aside == 0 and AmmoLot.objects.get().count == 50


def test_the_armorer_records_who_was_present_when_they_have_no_phone(production, armorer, safety, actor, revolver):
    record = check_out(revolver, armorer, actor, safety)

    custody_record_present(record_id=record.pk, user=armorer, party=FIRST_AD)

    record.refresh_from_db()
    assert (record.first_ad_confirmed_how, record.receiver_confirmed_at) == (Presence.RECORDED, None)
    with pytest.raises(PermissionDenied):
        custody_record_present(record_id=record.pk, user=actor, party=FIRST_AD)


@pytest.mark.parametrize(
    ("load", "out", "back", "fired", "why"),
    [
        (Load.BLANKS, 6, 3, 2, "A missing dummy or blank can be a live round"),
        (Load.BLANKS, 6, 6, 1, "More rounds came back than went out"),
        (Load.DUMMIES, 6, 5, 1, "A dummy does not fire"),
        (Load.COLD, 0, 0, 1, "The weapon went out cold"),
    ],
)
def test_a_count_that_does_not_add_up_at_check_in_files_a_critical_report(
    production, ladder_cast, actor, revolver, load, out, back, fired, why
):
    armorer, safety = ladder_cast["armorer"], ladder_cast["safety"]
    lot = None
    if load != Load.COLD:
        lot = ammo_lot(production, armorer, kind=AmmoKind.DUMMY if load == Load.DUMMIES else AmmoKind.BLANK)
    record = check_out(revolver, armorer, actor, safety, load=load, lot=lot, rounds=out)

    outcome = custody_check_in(record_id=record.pk, user=armorer, rounds_back=back, rounds_fired=fired)

    report = outcome.gap_report
    assert (report.category, report.severity, report.identity, report.reporter) == (
        Category.UNSAFE_HANDLING,
        Severity.CRITICAL,
        Identity.SYSTEM,
        None,
    )
    assert f"counted {back} back and {fired} fired" in report.description and why in report.description
    assert ArmoryGap.objects.get(report=report).custody == outcome.record
    # The safety coordinator hears of it at once, with the first level.
    assert Notification.objects.filter(report=report, recipient=safety, channel="in_app").exists()
    assert Weapon.objects.get().status == WeaponStatus.IN_ARMORY


def test_a_replayed_check_in_changes_nothing_and_files_nothing_twice(
    production, armorer, safety, actor, revolver, blanks
):
    record = _blanks_out(revolver, armorer, actor, safety, blanks)
    custody_check_in(record_id=record.pk, user=armorer, rounds_back=5, rounds_fired=0)

    with pytest.raises(ValidationError, match="already checked in"):
        custody_check_in(record_id=record.pk, user=armorer, rounds_back=6, rounds_fired=0)

    assert Report.objects.count() == 1
    assert AmmoLot.objects.get().count == 49


def test_the_trail_catches_a_custody_row_edited_behind_the_services_back(
    production, armorer, safety, actor, revolver, blanks
):
    record = _blanks_out(revolver, armorer, actor, safety, blanks)
    custody_check_in(record_id=record.pk, user=armorer, rounds_back=4, rounds_fired=2)
    assert armory_trail_check(production.pk).intact

    CustodyRecord.objects.filter(pk=record.pk).update(rounds_fired=1, rounds_back=5)  # "nothing went missing"

    check = armory_trail_check(production.pk)
    assert not check.intact
    assert f"custody:{record.pk} was changed outside SafeTrack" in check.reason
    assert "rounds_back" in check.reason and "rounds_fired" in check.reason
    assert check.broken_seq == ArmoryEvent.objects.get(kind=ArmoryEventKind.CHECKED_IN).seq


@pytest.mark.django_db(transaction=True)
def test_two_armorers_checking_out_one_weapon_at_once_hand_it_over_once(production, ladder_cast, actor, crew, revolver):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    start = threading.Barrier(2)
    results: list[object] = []

    def hand_over(keeper, receiver) -> None:
        try:
            start.wait()
            results.append(check_out(revolver, keeper, receiver, ladder_cast["upm"]))
        except ValidationError as exc:
            results.append(exc)
        finally:
            close_old_connections()

    threads = [
        threading.Thread(target=hand_over, args=(ladder_cast["armorer"], actor)),
        threading.Thread(target=hand_over, args=(ladder_cast["safety"], crew)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(type(result).__name__ for result in results) == ["CustodyRecord", "ValidationError"]
    assert CustodyRecord.objects.count() == 1
    assert ArmoryEvent.objects.filter(kind=ArmoryEventKind.CHECKED_OUT).count() == 1
