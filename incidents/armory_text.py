"""The armory's trail in words: one sentence per event, from the event alone (its sealed snapshot and
payload), so pages, CSV exports and the investigation record say the same thing and need no lookups."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from incidents.armory_chain import sealed_state
from incidents.models import (
    DAY_FLAGS,
    AmmoKind,
    ArmoryEvent,
    ArmoryEventKind,
    GapKind,
    Load,
    Presence,
    ShootingDay,
    Weapon,
    WeaponKind,
)
from incidents.selectors.armory import HELD_NO_FIREARMS_DAY


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
    if kind in DAY_KINDS:
        return _day_text(event, who, state, payload)
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
        if state.get("meeting_override") and payload.get("override") == HELD_NO_FIREARMS_DAY:
            text += " " + _("With no firearms day on the schedule, because: %(reason)s") % {
                "reason": state["meeting_override"]
            }
        elif state.get("meeting_override"):
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
    if payload.get("set_aside"):
        text += " " + ngettext(
            "%(count)s round beyond what went out was set aside, not added to the lot.",
            "%(count)s rounds beyond what went out were set aside, not added to the lot.",
            payload["set_aside"],
        ) % {"count": payload["set_aside"]}
    return text


DAY_KINDS = frozenset(
    {
        ArmoryEventKind.DAY_SCHEDULED,
        ArmoryEventKind.DAY_CHANGED,
        ArmoryEventKind.MEETING_RECORDED,
        ArmoryEventKind.ATTENDANCE_CONFIRMED,
        ArmoryEventKind.MEETING_CHECKED,
        ArmoryEventKind.WRAP_CHECKED,
        ArmoryEventKind.TIME_REQUESTED,
        ArmoryEventKind.TIME_APPROVED,
        ArmoryEventKind.TIME_REFUSED,
        ArmoryEventKind.TIME_UNANSWERED,
    }
)


def _flags(state: dict[str, Any]) -> str:
    flags = [str(ShootingDay._meta.get_field(name).verbose_name) for name in DAY_FLAGS if state.get(name)]
    return ", ".join(flags) or _("no flags")


def _day_text(event: ArmoryEvent, who: str, state: dict[str, Any], payload: dict[str, Any]) -> str:
    kind = event.kind
    if kind == ArmoryEventKind.DAY_SCHEDULED:
        return _("%(who)s scheduled the shooting day %(date)s: scenes %(scenes)s (%(flags)s).") % {
            "who": who,
            "date": state.get("date", ""),
            "scenes": state.get("scenes", ""),
            "flags": _flags(state),
        }
    if kind == ArmoryEventKind.DAY_CHANGED:
        return _("%(who)s changed the shooting day %(date)s (%(changed)s): scenes %(scenes)s (%(flags)s).") % {
            "who": who,
            "date": state.get("date", ""),
            "changed": ", ".join(
                str(ShootingDay._meta.get_field(name).verbose_name) for name in payload.get("changed", [])
            ),
            "scenes": state.get("scenes", ""),
            "flags": _flags(state),
        }
    if kind == ArmoryEventKind.MEETING_RECORDED:
        return _("%(who)s recorded the safety meeting of %(date)s, led by %(leader)s: %(topics)s") % {
            "who": who,
            "date": payload.get("date", ""),
            "leader": payload.get("led_by_name", ""),
            "topics": state.get("topics", ""),
        }
    if kind == ArmoryEventKind.ATTENDANCE_CONFIRMED:
        return _("%(who)s confirmed on their own phone that they were at the safety meeting of %(date)s.") % {
            "who": who,
            "date": payload.get("date", ""),
        }
    if kind == ArmoryEventKind.MEETING_CHECKED:
        if payload.get("held"):
            return _("First scene of %(date)s: the safety meeting was on the record.") % {"date": state.get("date")}
        return _("First scene of %(date)s: no safety meeting on the record; SafeTrack filed report #%(report)s.") % {
            "date": state.get("date"),
            "report": payload.get("report"),
        }
    if kind == ArmoryEventKind.WRAP_CHECKED:
        reports = payload.get("reports") or []
        if not reports:
            return _("Wrap of %(date)s: every weapon was back in the armory.") % {"date": state.get("date")}
        return _("Wrap of %(date)s: %(count)s weapon(s) still out; SafeTrack filed report(s) %(reports)s.") % {
            "date": state.get("date"),
            "count": len(reports),
            "reports": ", ".join(f"#{pk}" for pk in reports),
        }
    names = {
        "who": who,
        "what": state.get("what", ""),
        "date": state.get("needed_on", ""),
        "reason": state.get("reason", ""),
        "answer": state.get("answer", ""),
        "requester": payload.get("requested_by_name", ""),
        "report": payload.get("report"),
    }
    if kind == ArmoryEventKind.TIME_REQUESTED:
        return _("%(who)s asked for time for safety work: %(what)s, on %(date)s, because: %(reason)s") % names
    if kind == ArmoryEventKind.TIME_APPROVED:
        return _("%(who)s approved the request of %(requester)s: %(what)s, on %(date)s.") % names
    if kind == ArmoryEventKind.TIME_REFUSED:
        return (
            _(
                "%(who)s REFUSED the request of %(requester)s: %(what)s, on %(date)s, because: %(answer)s "
                "(report #%(report)s filed)."
            )
            % names
        )
    return (
        _("Nobody answered the request of %(requester)s in time: %(what)s; SafeTrack filed report #%(report)s.") % names
    )
