"""The armory's inventory, written: weapons and ammunition lots. Only those who keep the armory
(`access.can_change_armory`: the armorer, the safety coordinator, the producers; and the production's
admins in the admin) change it, and every
change is an event on the production's armory trail, in the same transaction.

Live ammunition has no place in the inventory. Trying to stock it stores nothing and files a critical
live-ammunition report instead, which reaches the safety coordinator and the producers at once.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Production, Role, User
from incidents import access
from incidents.categories import Category, Severity
from incidents.models import (
    AmmoKind,
    AmmoLot,
    Ammunition,
    ArmoryEventKind,
    GapKind,
    Report,
    Weapon,
    WeaponStatus,
)

from .gaps import Gap, gap_language, gap_report_file
from .trail import armory_event_append

LIVE = "live"  # what a stock form may say; never stored
COUNT_MAX = 100_000
REASON_MAX_LENGTH = 500


@dataclass(frozen=True)
class WeaponDraft:
    kind: str
    make: str
    model_name: str
    serial: str


@dataclass(frozen=True)
class Stocked:
    """What stocking ammunition did: a lot, or (live rounds) a report and no lot."""

    lot: AmmoLot | None
    live_report: Report | None = None


def _require_keeper(user: User, production_id: int) -> None:
    if not access.can_change_armory(user, production_id):
        raise PermissionDenied(_("Only the armorer, the safety coordinator and the producers keep the armory."))


def _clean_weapon(draft: WeaponDraft) -> WeaponDraft:
    cleaned = WeaponDraft(
        kind=draft.kind,
        make=" ".join(draft.make.split()),
        model_name=" ".join(draft.model_name.split()),
        serial=" ".join(draft.serial.split()),
    )
    if not (cleaned.make and cleaned.model_name and cleaned.serial):
        raise ValidationError(_("Give the make, the model and the serial or prop number."), code="required")
    return cleaned


def _serial_taken(production_id: int, serial: str, exclude_pk: int | None = None) -> bool:
    weapons = Weapon.objects.filter(production_id=production_id, serial__iexact=serial)
    if exclude_pk is not None:
        weapons = weapons.exclude(pk=exclude_pk)
    return weapons.exists()


def _serial_error(serial: str) -> ValidationError:
    return ValidationError(
        _("This production already has a weapon numbered %(serial)s.") % {"serial": serial}, code="duplicate"
    )


def weapon_check(*, production_id: int, draft: WeaponDraft, weapon_id: int | None = None) -> WeaponDraft:
    """The draft as it would be saved, or the ValidationError saving it would raise (forms ask first)."""
    draft = _clean_weapon(draft)
    if _serial_taken(production_id, draft.serial, exclude_pk=weapon_id):
        raise _serial_error(draft.serial)
    return draft


def weapon_add(*, production: Production, user: User, draft: WeaponDraft, now: datetime | None = None) -> Weapon:
    _require_keeper(user, production.pk)
    draft = _clean_weapon(draft)
    now = now or timezone.now()
    if _serial_taken(production.pk, draft.serial):
        raise _serial_error(draft.serial)
    try:
        with transaction.atomic():
            weapon = Weapon.objects.create(
                production=production,
                kind=draft.kind,
                make=draft.make,
                model_name=draft.model_name,
                serial=draft.serial,
                created_at=now,
            )
            armory_event_append(
                production=production, kind=ArmoryEventKind.WEAPON_ADDED, actor=user, records=[weapon], at=now
            )
    except IntegrityError as exc:  # the same number added at the same moment by someone else
        raise _serial_error(draft.serial) from exc
    return weapon


def weapon_change(*, weapon_id: int, user: User, draft: WeaponDraft, now: datetime | None = None) -> Weapon:
    """Correct a weapon's kind, make, model or number (its status changes through custody and retiring)."""
    draft = _clean_weapon(draft)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            weapon = Weapon.objects.select_for_update().select_related("production").get(pk=weapon_id)
            _require_keeper(user, weapon.production_id)
            if _serial_taken(weapon.production_id, draft.serial, exclude_pk=weapon.pk):
                raise _serial_error(draft.serial)
            before = {name: getattr(weapon, name) for name in ("kind", "make", "model_name", "serial")}
            after = {"kind": draft.kind, "make": draft.make, "model_name": draft.model_name, "serial": draft.serial}
            changed = sorted(name for name in after if before[name] != after[name])
            if not changed:
                return weapon
            for name in changed:
                setattr(weapon, name, after[name])
            weapon.save(update_fields=changed)
            armory_event_append(
                production=weapon.production,
                kind=ArmoryEventKind.WEAPON_CHANGED,
                actor=user,
                records=[weapon],
                payload={"changed": {name: [before[name], after[name]] for name in changed}},
                at=now,
            )
    except IntegrityError as exc:
        raise _serial_error(draft.serial) from exc
    return weapon


def weapon_retire(*, weapon_id: int, user: User, reason: str, now: datetime | None = None) -> Weapon:
    """Take a weapon out of service for good. A weapon that is out must come back first."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the weapon is retired."), code="required")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            _("Keep the reason under %(limit)s characters.") % {"limit": REASON_MAX_LENGTH}, code="too_long"
        )
    now = now or timezone.now()
    with transaction.atomic():
        weapon = Weapon.objects.select_for_update().select_related("production").get(pk=weapon_id)
        _require_keeper(user, weapon.production_id)
        if weapon.status == WeaponStatus.OUT:
            raise ValidationError(_("This weapon is out: check it in before retiring it."), code="out")
        if weapon.status == WeaponStatus.RETIRED:
            raise ValidationError(_("This weapon is already retired."), code="retired")
        weapon.status = WeaponStatus.RETIRED
        weapon.save(update_fields=["status"])
        armory_event_append(
            production=weapon.production,
            kind=ArmoryEventKind.WEAPON_RETIRED,
            actor=user,
            records=[weapon],
            payload={"reason": reason},
            at=now,
        )
    return weapon


def _check_count(count: int) -> None:
    if count < 0 or count > COUNT_MAX:
        raise ValidationError(
            _("Give a number of rounds between 0 and %(max)s.") % {"max": f"{COUNT_MAX:,}"}, code="count"
        )


def ammunition_stock(
    *,
    production: Production,
    user: User,
    kind: str,
    description: str,
    count: int,
    idempotency_key: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Stocked:
    """Add a lot of dummies or blanks. Live rounds are refused: nothing is stocked and a critical
    live-ammunition report is filed (the refusal itself is on the armory trail).

    With `idempotency_key` (the form's), a repeat of the same submission returns the lot the first one
    stocked: a double tap must not put rounds on the books that are not in the armory."""
    _require_keeper(user, production.pk)
    description = " ".join((description or "").split())
    if not description:
        raise ValidationError(_("Say what the rounds are (calibre, maker, type)."), code="required")
    _check_count(count)
    now = now or timezone.now()
    if kind == LIVE:
        return Stocked(lot=None, live_report=_live_ammunition_refuse(production, user, description, count, now))
    if kind not in AmmoKind.values:
        raise ValidationError(_("Choose dummies or blanks."), code="kind")
    try:
        with transaction.atomic():
            lot = AmmoLot.objects.create(
                production=production,
                kind=kind,
                description=description,
                count=count,
                created_at=now,
                idempotency_key=idempotency_key,
            )
            armory_event_append(
                production=production, kind=ArmoryEventKind.LOT_ADDED, actor=user, records=[lot], at=now
            )
    except IntegrityError:
        earlier = AmmoLot.objects.filter(production=production, idempotency_key=idempotency_key).first()
        if idempotency_key is None or earlier is None:
            raise
        return Stocked(lot=earlier)
    return Stocked(lot=lot)


def _live_ammunition_refuse(production: Production, user: User, description: str, count: int, now: datetime) -> Report:
    with transaction.atomic(), translation.override(gap_language(user)):
        report = gap_report_file(
            production=production,
            gap=Gap(
                kind=GapKind.LIVE_AMMUNITION,
                category=Category.LIVE_AMMUNITION,
                severity=Severity.CRITICAL,
                title=_("Live ammunition brought to the armory: %(description)s") % {"description": description},
                description=_(
                    "%(name)s tried to add %(count)s live rounds (%(description)s) to the armory's stock. "
                    "Live ammunition has no place on set: SafeTrack stored nothing and filed this report. "
                    "Find the rounds, secure them away from the set and check every weapon and prop cart."
                )
                % {"name": user, "count": count, "description": description},
                ammunition=Ammunition.LIVE,
                also_tell_roles=(Role.ARMORER, Role.SAFETY, Role.PRODUCER),
                concerns_person=user,
            ),
            now=now,
        )
        armory_event_append(
            production=production,
            kind=ArmoryEventKind.LIVE_AMMUNITION_REFUSED,
            actor=user,
            subject=f"report:{report.pk}",
            payload={"description": description, "count": count, "report": report.pk},
            at=now,
        )
    return report


def ammunition_recount(*, lot_id: int, user: User, count: int, reason: str, now: datetime | None = None) -> AmmoLot:
    """Set a lot's count (restocked, used up, counted again), with the reason."""
    _check_count(count)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the count changes."), code="required")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            _("Keep the reason under %(limit)s characters.") % {"limit": REASON_MAX_LENGTH}, code="too_long"
        )
    now = now or timezone.now()
    with transaction.atomic():
        lot = AmmoLot.objects.select_for_update().select_related("production").get(pk=lot_id)
        _require_keeper(user, lot.production_id)
        before = lot.count
        lot.count = count
        lot.save(update_fields=["count"])
        armory_event_append(
            production=lot.production,
            kind=ArmoryEventKind.LOT_COUNTED,
            actor=user,
            records=[lot],
            payload={"from": before, "to": count, "reason": reason},
            at=now,
        )
    return lot
