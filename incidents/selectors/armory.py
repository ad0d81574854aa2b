"""The armory's reads: the inventory of a production and the trail of one weapon, joins decided once."""

from django.db.models import QuerySet

from accounts.models import Production
from incidents.models import AmmoLot, ArmoryEvent, Weapon, WeaponStatus


def weapons_of(production: Production) -> list[Weapon]:
    """Weapons out first (they are what must come back), then in the armory, then retired."""
    order = {WeaponStatus.OUT: 0, WeaponStatus.IN_ARMORY: 1, WeaponStatus.RETIRED: 2}
    weapons = list(Weapon.objects.filter(production=production).order_by("make", "model_name", "serial"))
    return sorted(weapons, key=lambda weapon: order[weapon.status])


def lots_of(production: Production) -> QuerySet[AmmoLot]:
    return AmmoLot.objects.filter(production=production).order_by("kind", "description", "pk")


def weapon_trail(weapon: Weapon) -> QuerySet[ArmoryEvent]:
    """The weapon's own events, newest first."""
    return (
        ArmoryEvent.objects.filter(production_id=weapon.production_id, subject=f"weapon:{weapon.pk}")
        .select_related("actor")
        .order_by("-seq")
    )
