"""Appending to a report's trail: the only way an event row is written.

Hashing, sealing and verifying the chain are reads and live in `incidents.trail`."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from incidents.models import Event, Identity, Report
from incidents.trail import GENESIS, TRAILED_FIELDS, event_hash, field_values, head_seal, report_chain

# Every field the trail vouches for, for the `filed` event (and a stop-work call's).
FILED_FIELDS = TRAILED_FIELDS


def _actor_name(report: Report, actor: AbstractBaseUser | None) -> str | None:
    """The actor's name as it is now, kept in the hashed payload so a later rename does not rewrite the
    trail. Not for the reporter of a confidential or anonymous report: the payload must not name them."""
    if actor is None or (actor.pk == report.reporter_id and report.identity != Identity.NAMED):
        return None
    return str(actor)


def event_build(
    *,
    report: Report,
    kind: str,
    actor: AbstractBaseUser | None = None,
    payload: dict[str, Any] | None = None,
    public: bool = False,
    at: datetime | None = None,
    fields: Sequence[str] = (),
) -> Event:
    """Make the next event of the report's chain (unsaved) and move the report's head in memory.

    `fields`: the report's fields this event changed, already set on `report`; their new values go into
    the payload ("set") so `verify_trail` can replay the trail and compare it with the row. Every change
    of a field in `incidents.trail.TRAILED_FIELDS` must be an event that names it here.

    The caller holds the report's row lock and saves the report's `trail_seq`/`trail_head`/`trail_seal`
    in the same transaction (use `event_append` for the common one-event case).
    """
    created_at = at or timezone.now()
    payload = dict(payload or {})
    if fields:
        payload["set"] = field_values(report, fields)
    actor_name = _actor_name(report, actor)
    if actor_name:
        payload["actor_name"] = actor_name
    seq = report.trail_seq + 1
    prev_hash = report.trail_head or GENESIS
    digest = event_hash(
        prev_hash=prev_hash,
        report_id=report.pk,
        seq=seq,
        kind=kind,
        actor_id=actor.pk if actor else None,
        payload=payload,
        public=public,
        created_at=created_at,
    )
    report.trail_seq = seq
    report.trail_head = digest
    report.trail_seal = head_seal(chain=report_chain(report.pk), seq=seq, head=digest)
    return Event(
        report=report,
        seq=seq,
        kind=kind,
        actor=actor,
        payload=payload,
        public=public,
        created_at=created_at,
        prev_hash=prev_hash,
        hash=digest,
    )


def event_append(
    *,
    report: Report,
    kind: str,
    actor: AbstractBaseUser | None = None,
    payload: dict[str, Any] | None = None,
    public: bool = False,
    at: datetime | None = None,
    fields: Sequence[str] = (),
) -> Event:
    """Append one event; the caller must hold the report's row lock (inside `transaction.atomic`)."""
    event = event_build(report=report, kind=kind, actor=actor, payload=payload, public=public, at=at, fields=fields)
    event.save(force_insert=True)
    Report.objects.filter(pk=report.pk).update(
        trail_seq=report.trail_seq, trail_head=report.trail_head, trail_seal=report.trail_seal
    )
    return event
