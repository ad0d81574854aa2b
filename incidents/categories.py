"""Report categories and severities: the vocabulary of DESIGN.md, with each category's default severity."""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


SEVERITY_ORDER: dict[str, int] = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


def severity_at_least(severity: str, floor: str) -> bool:
    return SEVERITY_ORDER[severity] >= SEVERITY_ORDER[floor]


class Category(models.TextChoices):
    MISFIRE = "misfire", _("Misfire / accidental discharge")
    LIVE_AMMUNITION = "live_ammunition", _("Live ammunition on set")
    UNSAFE_HANDLING = "unsafe_handling", _("Unsafe weapon handling")
    STOP_WORK = "stop_work", _("Stop-work request")
    IGNORED_WARNING = "ignored_warning", _("Ignored warning")
    STUNTS = "stunts", _("Stunts")
    PYROTECHNICS = "pyrotechnics", _("Pyrotechnics / special effects")
    VEHICLES = "vehicles", _("Vehicles")
    RIGGING = "rigging", _("Rigging / falls")
    FATIGUE = "fatigue", _("Fatigue / hours")
    ENVIRONMENT = "environment", _("Environment / health")
    OTHER = "other", _("Other")


@dataclass(frozen=True)
class CategoryInfo:
    default_severity: str
    help_text: Promise
    firearm: bool = False


CATEGORY_INFO: dict[str, CategoryInfo] = {
    Category.MISFIRE: CategoryInfo(
        Severity.HIGH,
        _("A gun fired when it should not have, or did not fire as expected (squib, hang-fire, jam)."),
        firearm=True,
    ),
    Category.LIVE_AMMUNITION: CategoryInfo(
        Severity.CRITICAL,
        _("Any real round seen, found or suspected on set, in a prop cart or a gun. Stop and report now."),
        firearm=True,
    ),
    Category.UNSAFE_HANDLING: CategoryInfo(
        Severity.HIGH,
        _("A gun pointed at people, left unattended, handed over unchecked, or used without the armorer."),
        firearm=True,
    ),
    Category.STOP_WORK: CategoryInfo(
        Severity.CRITICAL,
        _("You believe work must stop now because someone could be hurt. Anyone may call it."),
    ),
    Category.IGNORED_WARNING: CategoryInfo(
        Severity.HIGH,
        _("You raised a concern before (here or elsewhere) and nothing was done about it."),
    ),
    Category.STUNTS: CategoryInfo(Severity.MEDIUM, _("Stunt rehearsals, rigs, falls, fights and safety pads.")),
    Category.PYROTECHNICS: CategoryInfo(
        Severity.HIGH, _("Explosives, squibs, fire effects, smoke and atmospheric effects.")
    ),
    Category.VEHICLES: CategoryInfo(Severity.MEDIUM, _("Picture cars, camera cars, driving and parking.")),
    Category.RIGGING: CategoryInfo(Severity.MEDIUM, _("Working at height, overhead loads, scaffolds, lifts.")),
    Category.FATIGUE: CategoryInfo(
        Severity.MEDIUM, _("Turnaround too short, days too long, people too tired to work safely.")
    ),
    Category.ENVIRONMENT: CategoryInfo(
        Severity.LOW, _("Heat, cold, water, air quality, hygiene, animals, illness on set.")
    ),
    Category.OTHER: CategoryInfo(Severity.LOW, _("Anything else that could hurt someone.")),
}

FIREARM_CATEGORIES = frozenset(c for c, info in CATEGORY_INFO.items() if info.firearm)


def default_severity(category: str) -> str:
    return CATEGORY_INFO[category].default_severity


def is_firearm(category: str) -> bool:
    return category in FIREARM_CATEGORIES
