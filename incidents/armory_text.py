"""The armory's trail in words: one sentence per event, from the event alone (its sealed snapshot and
payload), so pages, CSV exports and the investigation record say the same thing and need no lookups."""

from typing import Any

from django.utils.translation import gettext as _

from incidents.armory_chain import sealed_state
from incidents.models import AmmoKind, ArmoryEvent, ArmoryEventKind, GapKind, Load, Presence, Weapon, WeaponKind


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
    if kind in CUSTODY_KINDS:
        return _custody_text(event, who, state, payload)
    if kind == ArmoryEventKind.GAP_REPORTED:
        return _("SafeTrack filed report #%(report)s: %(gap)s.") % {
            "report": payload.get("report"),
            "gap": _label(GapKind, payload.get("gap")),
        }
    return str(event.get_kind_display())


CUSTODY_KINDS = frozenset({ArmoryEventKind.CHECKED_OUT, ArmoryEventKind.CUSTODY_CONFIRMED, ArmoryEventKind.CHECKED_IN})


def _load(state: dict[str, Any]) -> str:
    load = _label(Load, state.get("load")).lower()
    if state.get("load") in (Load.DUMMIES, Load.BLANKS):
        return _("%(load)s, %(count)s rounds") % {"load": load, "count": state.get("rounds_out")}
    return load


def _custody_text(event: ArmoryEvent, who: str, state: dict[str, Any], payload: dict[str, Any]) -> str:
    names = {
        "who": who,
        "weapon": payload.get("weapon_name", ""),
        "person": payload.get("handed_to_name", ""),
        "first_ad": payload.get("first_ad_name", ""),
        "scene": state.get("scene", ""),
    }
    if event.kind == ArmoryEventKind.CHECKED_OUT:
        text = _("%(who)s checked out %(weapon)s to %(person)s for scene %(scene)s (%(load)s).") % {
            **names,
            "load": _load(state),
        }
        if state.get("checked"):
            check = _("Shown and checked in front of them and the 1st AD, %(first_ad)s.") % names
        else:
            check = _("NOT shown and checked in front of them and the 1st AD, %(first_ad)s.") % names
        text = f"{text} {check}"
        if state.get("meeting_override"):
            text += " " + _("Before the day's safety meeting, because: %(reason)s") % {
                "reason": state["meeting_override"]
            }
        return text
    if event.kind == ArmoryEventKind.CUSTODY_CONFIRMED:
        person = names["person"] if payload.get("party") == "receiver" else names["first_ad"]
        role = _("who received it") if payload.get("party") == "receiver" else _("the 1st AD")
        if payload.get("how") == Presence.OWN_PHONE:
            return _("%(person)s (%(role)s) confirmed on their own phone that %(weapon)s was shown and checked.") % {
                "person": person,
                "role": role,
                "weapon": names["weapon"],
            }
        return _("%(who)s recorded that %(person)s (%(role)s) was present when %(weapon)s was shown and checked.") % {
            "who": who,
            "person": person,
            "role": role,
            "weapon": names["weapon"],
        }
    text = _("%(who)s checked in %(weapon)s from %(person)s: %(back)s back and %(fired)s fired of %(out)s out.") % {
        **names,
        "back": state.get("rounds_back"),
        "fired": state.get("rounds_fired"),
        "out": state.get("rounds_out"),
    }
    if not payload.get("adds_up", True):
        text += " " + _("The count does not add up.")
    return text
