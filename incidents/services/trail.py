"""Appending to a report's trail: the only way an event row is written.

Hashing, sealing and verifying the chain are reads and live in `incidents.trail`."""

from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from incidents.models import Event, Report
from incidents.trail import GENESIS, event_hash


def event_build(
    *,
    report: Report,
    kind: str,
    actor: AbstractBaseUser | None = None,
    payload: dict[str, Any] | None = None,
    public: bool = False,
    at: datetime | None = None,
) -> Event:
    """Make the next event of the report's chain (unsaved) and move the report's head in memory.

    The caller holds the report's row lock and saves the report's `trail_seq`/`trail_head` in the
    same transaction (use `event_append` for the common one-event case).
    """
    created_at = at or timezone.now()
    payload = payload or {}
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
) -> Event:
    """Append one event; the caller must hold the report's row lock (inside `transaction.atomic`)."""
    event = event_build(report=report, kind=kind, actor=actor, payload=payload, public=public, at=at)
    event.save(force_insert=True)
    Report.objects.filter(pk=report.pk).update(trail_seq=report.trail_seq, trail_head=report.trail_head)
    return event
