"""The chain of custody, written: check-out, the confirmations of the receiver and the 1st AD, check-in.

One trip per weapon, in the manner of `incidents.services.escalation`: the view calls one function; it
locks the weapon (check-out) or the custody row (check-in, confirmations) with `SELECT ... FOR UPDATE`,
then the lot whose rounds move, checks the state it found, writes the rows, seals them on the armory
trail (`armory_event_append`) and, when the records show a gap, files its report
(`gaps.gap_report_file` -> `report_file`), all in one transaction. The report's notifications and
escalation timer go out after commit like any report's. Two armorers checking out one weapon at once:
the second finds it out and is told by whom; a replayed check-in finds the weapon back and changes
nothing. Locks are taken weapon/custody first, then lot, then the trail's head, always in that order.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Membership, Role, User
from incidents import access
from incidents.categories import Category, Severity
from incidents.formatting import local_datetime
from incidents.models import (
    LOAD_AMMO,
    AmmoLot,
    ArmoryEventKind,
    CustodyRecord,
    GapKind,
    Load,
    Presence,
    Report,
    Weapon,
    WeaponStatus,
)

from .days import firearms_gate, firearms_gate_refusal, firearms_override_clean, firearms_override_report
from .gaps import Gap, gap_language, gap_report_file, load_ammunition
from .inventory import COUNT_MAX
from .trail import armory_event_append

SCENE_MAX_LENGTH = 100
RECEIVER = "receiver"
FIRST_AD = "first_ad"


@dataclass(frozen=True)
class CheckOut:
    """What the armorer taps on the check-out form."""

    handed_to: User
    first_ad: User
    scene: str
    load: str = Load.COLD
    lot: AmmoLot | None = None
    rounds: int = 0
    checked: bool = False  # shown and checked in front of the receiver and the 1st AD
    unchecked_handover: bool = False  # handed over without the check anyway, knowing it files a report
    both_present: bool = False  # the armorer records both were there, instead of their own confirmations


@dataclass(frozen=True)
class CustodyOutcome:
    record: CustodyRecord
    gap_report: Report | None = None
    overrode: str = ""  # the hold the armorer checked a firearm out past (FirearmsHold.reason), if any


def _require_keeper(user: User, production_id: int) -> None:
    if not access.keeps_armory(user, production_id):
        raise PermissionDenied(_("Only the armorer, the safety coordinator and the producers keep the armory."))


def _members(production_id: int, *users: User) -> bool:
    ids = {user.pk for user in users}
    found = Membership.objects.filter(production_id=production_id, user_id__in=ids, user__is_active=True).count()
    return found == len(ids)


def _check_rounds(weapon: Weapon, checkout: CheckOut) -> AmmoLot | None:
    """The locked lot the rounds come from (None for a cold weapon), or the ValidationError saying why not."""
    if checkout.load == Load.COLD:
        return None
    if checkout.load not in LOAD_AMMO:
        raise ValidationError(_("Choose cold, dummies or blanks."), code="load")
    if not weapon.loadable:
        raise ValidationError(
            _("A %(kind)s takes no rounds: hand it over cold.") % {"kind": weapon.get_kind_display().lower()},
            code="load",
        )
    if checkout.lot is None:
        raise ValidationError(_("Choose the lot the rounds come from."), code="lot")
    lot = AmmoLot.objects.select_for_update().filter(pk=checkout.lot.pk, production_id=weapon.production_id).first()
    if lot is None or lot.kind != LOAD_AMMO[checkout.load]:
        raise ValidationError(_("Choose a lot of %(load)s.") % {"load": Load(checkout.load).label.lower()}, code="lot")
    if not 1 <= checkout.rounds <= lot.count:
        raise ValidationError(
            _("Give how many rounds go out: between 1 and the %(count)s of that lot in the armory.")
            % {"count": lot.count},
            code="rounds",
        )
    return lot


def custody_check_out(
    *, weapon_id: int, user: User, checkout: CheckOut, meeting_override: str = "", now: datetime | None = None
) -> CustodyOutcome:
    """Hand a weapon from the armory to a member of the production, in front of the 1st AD.

    A firearm leaves only on a firearms day whose safety meeting is recorded: before the meeting, or on
    a day with no firearms day on the schedule, it stays in the armory and the refusal says why. Only the
    armorer may check it out anyway with `meeting_override` (a reason), which is sealed on the record
    (the check-out's trail event says which hold it went past) and files a report to the safety
    coordinator."""
    scene = " ".join(checkout.scene.split())
    if not scene:
        raise ValidationError(_("Give the scene, e.g. 42A."), code="scene")
    if len(scene) > SCENE_MAX_LENGTH:
        raise ValidationError(
            _("Keep the scene under %(limit)s characters.") % {"limit": SCENE_MAX_LENGTH}, code="scene"
        )
    if checkout.handed_to.pk == checkout.first_ad.pk:
        raise ValidationError(
            _("The 1st AD and the person receiving the weapon must be two different people."), code="first_ad"
        )
    _refuse_own_check(user, checkout)
    if not checkout.checked and not checkout.unchecked_handover:
        raise ValidationError(_("Show the weapon and check it in front of them, then tick the box."), code="unchecked")
    now = now or timezone.now()
    with transaction.atomic():
        weapon = Weapon.objects.select_for_update().select_related("production").get(pk=weapon_id)
        _require_keeper(user, weapon.production_id)
        _check_available(weapon)
        hold = firearms_gate(weapon, now)
        override = ""
        if hold is not None:
            if not (meeting_override or "").strip():
                raise firearms_gate_refusal(hold)
            override = firearms_override_clean(
                user=user, production_id=weapon.production_id, reason=meeting_override, hold=hold
            )
        if not _members(weapon.production_id, checkout.handed_to, checkout.first_ad):
            raise ValidationError(_("Both people must be members of this production."), code="handed_to")
        lot = _check_rounds(weapon, checkout)
        record = CustodyRecord.objects.create(
            production=weapon.production,
            weapon=weapon,
            handed_to=checkout.handed_to,
            scene=scene,
            load=checkout.load,
            lot=lot,
            rounds_out=checkout.rounds if lot else 0,
            checked=checkout.checked,
            first_ad=checkout.first_ad,
            receiver_confirmed_at=now if checkout.both_present else None,
            receiver_confirmed_how=Presence.RECORDED if checkout.both_present else "",
            first_ad_confirmed_at=now if checkout.both_present else None,
            first_ad_confirmed_how=Presence.RECORDED if checkout.both_present else "",
            meeting_override=override,
            checked_out_by=user,
            checked_out_at=now,
        )
        weapon.status = WeaponStatus.OUT
        weapon.save(update_fields=["status"])
        if lot is not None:
            lot.count -= record.rounds_out
            lot.save(update_fields=["count"])
        armory_event_append(
            production=weapon.production,
            kind=ArmoryEventKind.CHECKED_OUT,
            actor=user,
            records=[record, weapon, *([lot] if lot else [])],
            payload={**_names(record), **({"override": hold.reason} if hold else {})},
            at=now,
        )
        gap_report = None if record.checked else _report_unchecked(record, user, now)
        if hold is not None:
            override_report = firearms_override_report(record=record, hold=hold, armorer=user, now=now)
            gap_report = gap_report or override_report
    return CustodyOutcome(record, gap_report, hold.reason if hold else "")


def own_check_refusal(party: str) -> str:
    """Why the person checking a weapon out cannot also be its receiver or its 1st AD: the check is seen
    by two people besides the one who hands it over, or nobody independent saw it."""
    if party == RECEIVER:
        return _("You are checking the weapon out: someone else must receive it.")
    return _("You are checking the weapon out: someone else must be the 1st AD who sees the check.")


def _refuse_own_check(user: User, checkout: CheckOut) -> None:
    if checkout.handed_to.pk == user.pk:
        raise ValidationError(own_check_refusal(RECEIVER), code="handed_to")
    if checkout.first_ad.pk == user.pk:
        raise ValidationError(own_check_refusal(FIRST_AD), code="first_ad")


def _check_available(weapon: Weapon) -> None:
    if weapon.status == WeaponStatus.RETIRED:
        raise ValidationError(_("This weapon is retired."), code="retired")
    if weapon.status == WeaponStatus.OUT:
        holder = (
            CustodyRecord.objects.filter(weapon=weapon, checked_in_at__isnull=True).select_related("handed_to").first()
        )
        raise ValidationError(
            _("This weapon is already out, with %(person)s.") % {"person": holder.handed_to if holder else "?"},
            code="out",
        )


def _names(record: CustodyRecord) -> dict[str, str]:
    """Who the record names, as they are called today: the trail reads the same if an account is renamed."""
    return {
        "weapon_name": str(record.weapon),
        "handed_to_name": str(record.handed_to),
        "first_ad_name": str(record.first_ad),
    }


def _report_unchecked(record: CustodyRecord, armorer: User, now: datetime) -> Report:
    with translation.override(gap_language(armorer)):
        gap = Gap(
            kind=GapKind.UNCHECKED_HANDOVER,
            category=Category.UNSAFE_HANDLING,
            severity=Severity.HIGH,
            title=_("Weapon handed over without the armorer's check: %(weapon)s") % {"weapon": record.weapon},
            description=_(
                "%(armorer)s handed %(weapon)s (%(load)s) to %(person)s for scene %(scene)s at %(when)s without "
                "showing it and checking it in front of them and the 1st AD (%(first_ad)s). Check the weapon "
                "with them before it is used."
            )
            % {
                "armorer": armorer,
                "weapon": record.weapon,
                "load": record.get_load_display().lower(),
                "person": record.handed_to,
                "scene": record.scene,
                "when": local_datetime(now, record.production),
                "first_ad": record.first_ad,
            },
            weapon=record.weapon,
            custody=record,
            armorer_present=True,
            concerns_person=armorer,  # their own act: the level above them is told instead
        )
        return gap_report_file(production=record.production, gap=gap, now=now)


def _lock_record(record_id: int) -> CustodyRecord:
    return (
        CustodyRecord.objects.select_for_update(of=("self",))
        .select_related("production", "weapon", "handed_to", "first_ad")
        .get(pk=record_id)
    )


def _named_as(user_id: int, record: CustodyRecord) -> str | None:
    if record.handed_to_id == user_id:
        return RECEIVER
    if record.first_ad_id == user_id:
        return FIRST_AD
    return None


def custody_party(user: User, record: CustodyRecord) -> str | None:
    """Whether the user confirms the check as the record's receiver or its 1st AD. Never the person who
    checked it out, even on a record that names them (written before that was refused): the check needs
    two people besides the one who hands the weapon over."""
    if record.checked_out_by_id == user.pk:
        return None
    return _named_as(user.pk, record)


def confirmable_parties(record: CustodyRecord) -> list[str]:
    """The parties whose confirmation the record still waits for and can get: not one who is the person
    who checked it out."""
    people = {RECEIVER: record.handed_to_id, FIRST_AD: record.first_ad_id}
    return [
        party
        for party, person_id in people.items()
        if getattr(record, f"{party}_confirmed_at") is None and person_id != record.checked_out_by_id
    ]


def _own_confirmation_refusal() -> str:
    return _(
        "You checked this weapon out, so your confirmation cannot count: the check needs two people besides "
        "the one who hands the weapon over."
    )


def custody_confirm(*, record_id: int, user: User, now: datetime | None = None) -> CustodyRecord:
    """The receiver or the 1st AD confirms, from their own phone, that they saw the weapon shown and
    checked. Confirming twice changes nothing; the person who checked it out never confirms it."""
    now = now or timezone.now()
    with transaction.atomic():
        record = _lock_record(record_id)
        party = custody_party(user, record)
        if party is None:
            if _named_as(user.pk, record) is not None:
                raise PermissionDenied(_own_confirmation_refusal())
            raise PermissionDenied(_("Only the person who received the weapon and the 1st AD confirm the check."))
        return _confirm_locked(record, party, Presence.OWN_PHONE, user, now)


def custody_record_present(*, record_id: int, user: User, party: str, now: datetime | None = None) -> CustodyRecord:
    """The armorer records that the receiver or the 1st AD was there for the check (no phone at hand).
    Not for a party who is the person who checked the weapon out."""
    if party not in (RECEIVER, FIRST_AD):
        raise ValidationError(_("Choose the receiver or the 1st AD."), code="party")
    now = now or timezone.now()
    with transaction.atomic():
        record = _lock_record(record_id)
        _require_keeper(user, record.production_id)
        if getattr(record, f"{party}_confirmed_at") is None and party not in confirmable_parties(record):
            raise ValidationError(
                _(
                    "%(person)s checked this weapon out, so their presence cannot count: the check needs two "
                    "people besides the one who hands the weapon over."
                )
                % {"person": record.handed_to if party == RECEIVER else record.first_ad},
                code="party",
            )
        return _confirm_locked(record, party, Presence.RECORDED, user, now)


def _confirm_locked(record: CustodyRecord, party: str, how: str, actor: User, now: datetime) -> CustodyRecord:
    if getattr(record, f"{party}_confirmed_at") is not None:
        return record
    setattr(record, f"{party}_confirmed_at", now)
    setattr(record, f"{party}_confirmed_how", how)
    record.save(update_fields=[f"{party}_confirmed_at", f"{party}_confirmed_how"])
    armory_event_append(
        production=record.production,
        kind=ArmoryEventKind.CUSTODY_CONFIRMED,
        actor=actor,
        records=[record],
        payload={**_names(record), "party": party, "how": how},
        at=now,
    )
    return record


def custody_check_in(
    *, record_id: int, user: User, rounds_back: int, rounds_fired: int, now: datetime | None = None
) -> CustodyOutcome:
    """The weapon is back: count the rounds back and fired. A count that does not add up (or a dummy
    that fired) files a critical report at once, since a missing dummy can be a live round."""
    for count in (rounds_back, rounds_fired):
        if not 0 <= count <= COUNT_MAX:
            raise ValidationError(
                _("Give a number of rounds between 0 and %(max)s.") % {"max": f"{COUNT_MAX:,}"}, code="count"
            )
    now = now or timezone.now()
    with transaction.atomic():
        record = _lock_record(record_id)
        _require_keeper(user, record.production_id)
        if not record.is_out:
            raise ValidationError(
                _("This weapon was already checked in at %(when)s.")
                % {"when": local_datetime(record.checked_in_at, record.production)},
                code="back",
            )
        weapon = Weapon.objects.select_for_update().get(pk=record.weapon_id)
        lot = AmmoLot.objects.select_for_update().get(pk=record.lot_id) if record.lot_id else None
        # Back into the lot goes at most what went out less what fired; rounds beyond that are of unknown
        # origin (one may be live) and are set apart, on the record, until someone recounts the lot.
        stocked = min(rounds_back, max(record.rounds_out - rounds_fired, 0)) if lot is not None else 0
        record.checked_in_by = user
        record.checked_in_at = now
        record.rounds_back = rounds_back
        record.rounds_fired = rounds_fired
        record.rounds_set_aside = rounds_back - stocked
        record.save(update_fields=["checked_in_by", "checked_in_at", "rounds_back", "rounds_fired", "rounds_set_aside"])
        weapon.status = WeaponStatus.IN_ARMORY
        weapon.save(update_fields=["status"])
        if lot is not None and stocked:
            lot.count += stocked
            lot.save(update_fields=["count"])
        armory_event_append(
            production=record.production,
            kind=ArmoryEventKind.CHECKED_IN,
            actor=user,
            records=[record, weapon, *([lot] if lot else [])],
            payload={
                **_names(record),
                "adds_up": bool(record.count_adds_up),
                "stocked": stocked,
                "set_aside": record.rounds_set_aside,
            },
            at=now,
        )
        gap_report = None if record.count_adds_up else _report_mismatch(record, user, now)
    return CustodyOutcome(record, gap_report)


def _report_mismatch(record: CustodyRecord, armorer: User, now: datetime) -> Report:
    with translation.override(gap_language(armorer)):
        if record.load == Load.DUMMIES and record.rounds_fired:
            why = _("A dummy does not fire: a round that fired was not a dummy. Check every weapon and the whole lot.")
        elif record.load == Load.COLD:
            why = _("The weapon went out cold: no round should have come back or been fired.")
        elif record.rounds_back + record.rounds_fired < record.rounds_out:
            why = _("A missing dummy or blank can be a live round: find every round before the weapon is used again.")
        else:
            why = _("More rounds came back than went out: check every one of them, one may be live.")
        if record.rounds_set_aside:
            why += " " + set_aside_words(record.rounds_set_aside)
        gap = Gap(
            kind=GapKind.COUNT_MISMATCH,
            category=Category.UNSAFE_HANDLING,
            severity=Severity.CRITICAL,
            title=_("Round count does not add up at check-in: %(weapon)s") % {"weapon": record.weapon},
            description=_(
                "%(out)s %(load)s went out with %(weapon)s to %(person)s for scene %(scene)s. At check-in "
                "(%(when)s) %(armorer)s counted %(back)s back and %(fired)s fired. %(why)s"
            )
            % {
                "out": record.rounds_out,
                "load": record.get_load_display().lower(),
                "weapon": record.weapon,
                "person": record.handed_to,
                "scene": record.scene,
                "when": local_datetime(now, record.production),
                "armorer": armorer,
                "back": record.rounds_back,
                "fired": record.rounds_fired,
                "why": why,
            },
            weapon=record.weapon,
            custody=record,
            ammunition=load_ammunition(record.load),
            armorer_present=True,
            also_tell_roles=(Role.SAFETY,),
        )
        return gap_report_file(production=record.production, gap=gap, now=now)


def set_aside_words(count: int) -> str:
    """What happened to rounds counted back beyond what can have come back (in the report and on the page)."""
    return ngettext(
        "%(count)s round more than went out was not added to the lot: keep it apart until the lot is recounted.",
        "%(count)s rounds more than went out were not added to the lot: keep them apart until the lot is recounted.",
        count,
    ) % {"count": count}
