"""The armory's reads: the inventory, who holds what, the custody log and the trail of one weapon,
with their joins decided once."""

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from accounts.models import Membership, Production, Role, User
from incidents.models import AmmoLot, ArmoryEvent, ArmoryEventKind, CustodyRecord, Weapon, WeaponStatus

CUSTODY_JOINS = ("weapon", "handed_to", "first_ad", "lot", "checked_out_by", "checked_in_by")
# A check-out waits for its confirmations this long on the people's armory page; after that it is in
# the custody log only (as unconfirmed).
CONFIRMATION_WINDOW = timedelta(days=2)


def weapons_of(production: Production) -> list[Weapon]:
    """Weapons out first (they are what must come back), then in the armory, then retired."""
    order = {WeaponStatus.OUT: 0, WeaponStatus.IN_ARMORY: 1, WeaponStatus.RETIRED: 2}
    weapons = list(Weapon.objects.filter(production=production).order_by("make", "model_name", "serial"))
    return sorted(weapons, key=lambda weapon: order[weapon.status])


def lots_of(production: Production) -> QuerySet[AmmoLot]:
    return AmmoLot.objects.filter(production=production).order_by("kind", "description", "pk")


def open_custody(production: Production) -> dict[int, CustodyRecord]:
    """The records of the weapons out now, by weapon id."""
    records = CustodyRecord.objects.filter(production=production, checked_in_at__isnull=True).select_related(
        "weapon", "handed_to"
    )
    return {record.weapon_id: record for record in records}


def awaiting_confirmation(user: User, production: Production, now: datetime) -> list[CustodyRecord]:
    """Recent check-outs naming this person (as receiver or 1st AD) that they have not confirmed yet."""
    return list(
        CustodyRecord.objects.filter(production=production, checked_out_at__gte=now - CONFIRMATION_WINDOW)
        .filter(
            Q(handed_to=user, receiver_confirmed_at__isnull=True) | Q(first_ad=user, first_ad_confirmed_at__isnull=True)
        )
        .select_related("weapon", "handed_to", "first_ad", "checked_out_by")
        .order_by("-checked_out_at")
    )


def custody_log(weapon: Weapon) -> QuerySet[CustodyRecord]:
    return CustodyRecord.objects.filter(weapon=weapon).select_related(*CUSTODY_JOINS).order_by("-checked_out_at", "-pk")


def last_custody(weapon: Weapon) -> CustodyRecord | None:
    return CustodyRecord.objects.filter(weapon=weapon).order_by("-checked_out_at", "-pk").first()


def checkout_people(production: Production) -> list[User]:
    """The production's active members, who may receive a weapon or witness its check."""
    memberships = Membership.objects.filter(production=production, user__is_active=True).select_related("user")
    return sorted((m.user for m in memberships), key=lambda user: (user.full_name or user.email).lower())


def safety_coordinators(production: Production) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(production=production, role=Role.SAFETY, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name")
    ]


def checkout_lots(production: Production) -> list[AmmoLot]:
    return list(AmmoLot.objects.filter(production=production, count__gt=0).order_by("kind", "description", "pk"))


def weapon_trail(weapon: Weapon) -> QuerySet[ArmoryEvent]:
    """Every event about the weapon or one of its check-outs, newest first."""
    subjects = [f"weapon:{weapon.pk}"] + [
        f"custody:{pk}" for pk in CustodyRecord.objects.filter(weapon=weapon).values_list("pk", flat=True)
    ]
    return (
        ArmoryEvent.objects.filter(production_id=weapon.production_id)
        .filter(
            Q(subject__in=subjects)
            | Q(payload__snapshots__has_key=f"weapon:{weapon.pk}")
            | Q(kind=ArmoryEventKind.GAP_REPORTED, payload__weapon=weapon.pk)
        )
        .select_related("actor")
        .order_by("-seq")
    )
