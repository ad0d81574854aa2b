"""The append-only, hash-chained trail of a report.

Each event's hash covers its own content and the previous event's hash, so editing, removing or
reordering any row breaks the chain from that row on. The report keeps the chain's head, which also
catches a trail cut short at the end.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import Event, Report

GENESIS = "0" * 64


def event_hash(
    *,
    prev_hash: str,
    report_id: int,
    seq: int,
    kind: str,
    actor_id: int | None,
    payload: dict[str, Any],
    public: bool,
    created_at: datetime,
) -> str:
    content = {
        "report": report_id,
        "seq": seq,
        "kind": kind,
        "actor": actor_id,
        "payload": payload,
        "public": public,
        "at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


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


@dataclass(frozen=True)
class TrailCheck:
    report_id: int
    events: int
    intact: bool
    broken_seq: int | None = None
    reason: str = ""


def verify_trail(report: Report) -> TrailCheck:
    prev_hash = GENESIS
    expected_seq = 1
    count = 0
    for event in Event.objects.filter(report_id=report.pk).order_by("seq").iterator(chunk_size=2000):
        count += 1
        if event.seq != expected_seq:
            return TrailCheck(
                report.pk,
                count,
                False,
                event.seq,
                _("expected event %(expected)s, found %(found)s") % {"expected": expected_seq, "found": event.seq},
            )
        if event.prev_hash != prev_hash:
            return TrailCheck(report.pk, count, False, event.seq, _("does not follow the previous event"))
        digest = event_hash(
            prev_hash=prev_hash,
            report_id=report.pk,
            seq=event.seq,
            kind=event.kind,
            actor_id=event.actor_id,
            payload=event.payload,
            public=event.public,
            created_at=event.created_at,
        )
        if digest != event.hash:
            return TrailCheck(report.pk, count, False, event.seq, _("content does not match its hash"))
        prev_hash = event.hash
        expected_seq += 1
    if count != report.trail_seq or (count and prev_hash != report.trail_head):
        return TrailCheck(report.pk, count, False, count + 1, _("events are missing at the end of the trail"))
    return TrailCheck(report.pk, count, True)
