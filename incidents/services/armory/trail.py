"""The armory's trail, written: every change to an armory record appends one `ArmoryEvent` to its
production's chain in the same transaction, sealing the record as it is after the change (the read
half, and why, is in `incidents.armory_chain`).

Appends lock the production's `ArmoryTrail` row (created on first use without a race: INSERT ... ON
CONFLICT DO NOTHING, then SELECT ... FOR UPDATE), so two appends on one production are ordered and
appends on different productions never wait for each other.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.utils import timezone

from accounts.models import Production
from incidents.armory_chain import chain_name, event_content, snapshot, subject_of
from incidents.models import ArmoryEvent, ArmoryTrail
from incidents.trail import GENESIS, chain_hash, head_seal


def armory_event_append(
    *,
    production: Production,
    kind: str,
    actor: AbstractBaseUser | None = None,
    records: Sequence[models.Model] = (),
    subject: str = "",
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> ArmoryEvent:
    """Append one fact to the production's armory chain, sealing `records` as they are now (the first
    is what the fact is about; a check-out also changes the weapon and the lot).

    Call it inside `transaction.atomic()`, after saving the records: it locks the chain's head until
    the transaction ends. `subject` names what the fact is about when there is no record to seal.
    """
    payload = dict(payload or {})
    if records:
        payload["snapshots"] = {subject_of(record): snapshot(record) for record in records}
        subject = subject_of(records[0])
    if actor is not None:
        payload.setdefault("actor_name", str(actor))  # the trail reads the same if the account is renamed
    ArmoryTrail.objects.bulk_create([ArmoryTrail(production=production)], ignore_conflicts=True)
    head = ArmoryTrail.objects.select_for_update().get(production=production)
    event = ArmoryEvent(
        production=production,
        seq=head.seq + 1,
        kind=kind,
        actor=actor,
        subject=subject,
        payload=payload,
        created_at=at or timezone.now(),
        prev_hash=head.head or GENESIS,
    )
    event.hash = chain_hash(prev_hash=event.prev_hash, content=event_content(event))
    event.save(force_insert=True)
    ArmoryTrail.objects.filter(pk=head.pk).update(
        seq=event.seq,
        head=event.hash,
        seal=head_seal(chain=chain_name(production.pk), seq=event.seq, head=event.hash),
    )
    return event
