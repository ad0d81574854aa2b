"""The armory's trail in words: one sentence per event, from the event alone (its sealed snapshot and
payload), so pages, CSV exports and the investigation record say the same thing and need no lookups."""

from typing import Any

from django.utils.translation import gettext as _

from incidents.armory_chain import sealed_state
from incidents.models import AmmoKind, ArmoryEvent, ArmoryEventKind, GapKind, Weapon, WeaponKind


def _weapon(state: dict[str, Any]) -> str:
    return f"{state.get('make', '')} {state.get('model_name', '')} #{state.get('serial', '')}".strip()


def _label(choices: type, value: Any) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "")


def _lot(state: dict[str, Any]) -> str:
    return f"{_label(AmmoKind, state.get('kind'))}: {state.get('description', '')}"


def _shown(field: str, value: Any) -> str:
    return _label(WeaponKind, value) if field == "kind" else str(value)


def armory_event_text(event: ArmoryEvent) -> str:
    payload = event.payload or {}
    state = sealed_state(event)
    who = payload.get("actor_name") or (str(event.actor) if event.actor_id else _("SafeTrack (automatic)"))
    kind = event.kind
    if kind == ArmoryEventKind.WEAPON_ADDED:
        return _("%(who)s added %(weapon)s (%(kind)s).") % {
            "who": who,
            "weapon": _weapon(state),
            "kind": _label(WeaponKind, state.get("kind")),
        }
    if kind == ArmoryEventKind.WEAPON_CHANGED:
        changes = "; ".join(
            f"{Weapon._meta.get_field(name).verbose_name}: {_shown(name, old)} → {_shown(name, new)}"
            for name, (old, new) in sorted(payload.get("changed", {}).items())
        )
        return _("%(who)s corrected %(weapon)s (%(changes)s).") % {
            "who": who,
            "weapon": _weapon(state),
            "changes": changes,
        }
    if kind == ArmoryEventKind.WEAPON_RETIRED:
        return _("%(who)s retired %(weapon)s: %(reason)s") % {
            "who": who,
            "weapon": _weapon(state),
            "reason": payload.get("reason", ""),
        }
    if kind == ArmoryEventKind.LOT_ADDED:
        return _("%(who)s added %(count)s rounds to the armory (%(lot)s).") % {
            "who": who,
            "count": state.get("count"),
            "lot": _lot(state),
        }
    if kind == ArmoryEventKind.LOT_COUNTED:
        return _("%(who)s changed the count of %(lot)s from %(before)s to %(after)s: %(reason)s") % {
            "who": who,
            "lot": _lot(state),
            "before": payload.get("from"),
            "after": payload.get("to"),
            "reason": payload.get("reason", ""),
        }
    if kind == ArmoryEventKind.LIVE_AMMUNITION_REFUSED:
        return _(
            "%(who)s tried to stock %(count)s live rounds (%(description)s): refused, report #%(report)s filed."
        ) % {
            "who": who,
            "count": payload.get("count"),
            "description": payload.get("description", ""),
            "report": payload.get("report"),
        }
    if kind == ArmoryEventKind.GAP_REPORTED:
        return _("SafeTrack filed report #%(report)s: %(gap)s.") % {
            "report": payload.get("report"),
            "gap": _label(GapKind, payload.get("gap")),
        }
    return str(event.get_kind_display())
