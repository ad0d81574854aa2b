"""The armory's trail, read: one hash chain per production, on the chain API of `incidents.trail`.

Each change to an armory record appends an `ArmoryEvent` (`incidents.services.armory.trail`) with a
snapshot of the record's sealed fields as they are after the change. The chain makes a removed, edited
or reordered event visible; the snapshots make an armory row edited behind the services' back
visible: `armory_trail_check` compares every sealed row with its last snapshot (`manage.py
verify_trail` runs it for every production, registered in the app's ready()).
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

from django.db import models
from django.utils.translation import gettext as _

from incidents.models import (
    AmmoLot,
    ArmoryEvent,
    ArmoryTrail,
    CustodyRecord,
    MeetingAttendance,
    SafetyMeeting,
    ShootingDay,
    TimeRequest,
    Weapon,
)
from incidents.trail import ChainCheck, ChainLink, chain_verify


def _every_field(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.name for f in model._meta.concrete_fields if f.name != "id")


# The records on the armory trail: the name used in `ArmoryEvent.subject`, and the fields sealed.
SEALED: dict[type[models.Model], tuple[str, tuple[str, ...]]] = {
    Weapon: ("weapon", ("production", "kind", "make", "model_name", "serial", "status")),
    AmmoLot: ("lot", ("production", "kind", "description", "count")),
    # Every field of these: the whole row is evidence.
    CustodyRecord: ("custody", _every_field(CustodyRecord)),
    ShootingDay: ("day", _every_field(ShootingDay)),
    SafetyMeeting: ("meeting", _every_field(SafetyMeeting)),
    MeetingAttendance: ("attendance", _every_field(MeetingAttendance)),
    TimeRequest: ("request", _every_field(TimeRequest)),
}


def chain_name(production_id: int) -> str:
    return f"armory:{production_id}"


def sealed_state(event: ArmoryEvent) -> dict[str, Any]:
    """The sealed snapshot of what the event is about (empty when it sealed no record)."""
    return (event.payload or {}).get("snapshots", {}).get(event.subject, {})


def subject_of(record: models.Model) -> str:
    return f"{SEALED[type(record)][0]}:{record.pk}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def snapshot(record: models.Model) -> dict[str, Any]:
    """The sealed fields of a record as they are now (foreign keys as ids)."""
    _name, fields = SEALED[type(record)]
    return {name: _jsonable(getattr(record, record._meta.get_field(name).attname)) for name in fields}


def event_content(event: ArmoryEvent) -> dict[str, Any]:
    return {
        "production": event.production_id,
        "seq": event.seq,
        "kind": event.kind,
        "actor": event.actor_id,
        "subject": event.subject,
        "payload": event.payload,
        "at": event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }


def _records(production_id: int) -> Iterator[tuple[str, dict[str, Any]]]:
    for model, (_name, _fields) in SEALED.items():
        for record in model.objects.filter(production_id=production_id).order_by("pk").iterator(chunk_size=500):
            yield subject_of(record), snapshot(record)


def armory_trail_check(production_id: int) -> ChainCheck:
    """The production's chain, then every sealed record against its last snapshot."""
    chain = chain_name(production_id)
    head = ArmoryTrail.objects.filter(production_id=production_id).first()
    last_seen: dict[str, tuple[int, dict[str, Any]]] = {}
    links = []
    for event in ArmoryEvent.objects.filter(production_id=production_id).order_by("seq").iterator(chunk_size=2000):
        links.append(ChainLink(event.seq, event.prev_hash, event.hash, event_content(event)))
        for subject, state in (event.payload or {}).get("snapshots", {}).items():
            last_seen[subject] = (event.seq, state)
    check = chain_verify(
        chain=chain,
        links=links,
        head_seq=head.seq if head else 0,
        head_hash=head.head if head else "",
        head_seal=head.seal if head and head.seq else None,
    )
    if not check.intact:
        return check
    for subject, current in _records(production_id):
        sealed = last_seen.get(subject)
        if sealed is None:
            return ChainCheck(
                chain, check.events, False, None, _("%(record)s is not on the trail") % {"record": subject}
            )
        seq, state = sealed
        changed = sorted(name for name in current if state.get(name) != current[name])
        if changed:
            return ChainCheck(
                chain,
                check.events,
                False,
                seq,
                _("%(record)s was changed outside SafeTrack after this event (%(fields)s)")
                % {"record": subject, "fields": ", ".join(changed)},
            )
    return check


def armory_trail_checks() -> Iterator[ChainCheck]:
    """Every production's armory chain that has begun (registered with `verify_trail`)."""
    for production_id in ArmoryTrail.objects.order_by("production_id").values_list("production_id", flat=True):
        yield armory_trail_check(production_id)
    # A record whose production never appended anything was written behind the services' back.
    started = ArmoryTrail.objects.values("production_id")
    for model in SEALED:
        for production_id in (
            model.objects.exclude(production_id__in=started)
            .order_by()
            .values_list("production_id", flat=True)
            .distinct()
        ):
            yield armory_trail_check(production_id)
