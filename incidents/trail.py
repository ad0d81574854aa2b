"""The append-only, hash-chained trail of a report, read: hashing, sealing and verifying chains, and
the chain API other trails use. Appending an event is a write: `incidents.services.trail`.

Each event's hash covers its own content and the previous event's hash, so editing, removing or
reordering any row breaks the chain from that row on. The report keeps the chain's head, which also
catches a trail cut short at the end.

Other append-only records (the armory's custody, meetings and requests; corrective actions) build
their own chains with the same three functions and are verified by `manage.py verify_trail`:
- `chain_hash(prev_hash=..., content={...})`: the hash of one link (content: JSON-serialisable);
- `head_seal(chain="custody:7", seq=n, head=hash)`: the HMAC of a chain's head with a key kept out of
  the database (`TRAIL_SEAL_KEY`), stored beside the head; `head_seal_matches(...)` checks one;
- `chain_verify(chain=..., links=[ChainLink(...)], head_seq=..., head_hash=..., head_seal=...)`, and
  `chain_register(name, checks)` where `checks()` yields the `ChainCheck` of every chain of that kind
  (called by `verify_trail` inside its one read-only snapshot).
"""

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from incidents.models import Event, Report

GENESIS = "0" * 64


def canonical_json(content: Any) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(*, prev_hash: str, content: dict[str, Any]) -> str:
    """SHA-256 of the previous link's hash followed by this link's canonical JSON."""
    return hashlib.sha256((prev_hash + canonical_json(content)).encode()).hexdigest()


def _seal_keys() -> list[str]:
    return [settings.TRAIL_SEAL_KEY, *getattr(settings, "TRAIL_SEAL_KEY_FALLBACKS", [])]


def _seal_with(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def seal_text(message: str) -> str:
    """HMAC-SHA256 of `message` with the trail's key (a setting, never stored in the database)."""
    return _seal_with(settings.TRAIL_SEAL_KEY, message)


def seal_text_matches(message: str, seal: str) -> bool:
    return any(hmac.compare_digest(_seal_with(key, message), seal or "") for key in _seal_keys())


def head_seal(*, chain: str, seq: int, head: str) -> str:
    """The seal of a chain's head: someone who rewrites the rows and recomputes every hash with
    `chain_hash` cannot write a matching seal without the key."""
    return seal_text(f"{chain}:{seq}:{head}")


def head_seal_matches(*, chain: str, seq: int, head: str, seal: str) -> bool:
    return seal_text_matches(f"{chain}:{seq}:{head}", seal)


@dataclass(frozen=True)
class ChainLink:
    seq: int
    prev_hash: str
    hash: str
    content: dict[str, Any]


@dataclass(frozen=True)
class ChainCheck:
    chain: str
    events: int
    intact: bool
    broken_seq: int | None = None
    reason: str = ""


def chain_verify(
    *, chain: str, links: Iterable[ChainLink], head_seq: int, head_hash: str, head_seal: str | None
) -> ChainCheck:
    """Walk a chain's links in order; the first broken one is reported. `head_seal` None means the
    chain was sealed before seals existed (only its hashes are checked)."""
    prev_hash = GENESIS
    count = 0
    for link in links:
        count += 1
        if link.seq != count:
            reason = _("expected event %(expected)s, found %(found)s") % {"expected": count, "found": link.seq}
            return ChainCheck(chain, count, False, link.seq, reason)
        if link.prev_hash != prev_hash:
            return ChainCheck(chain, count, False, link.seq, _("does not follow the previous event"))
        if chain_hash(prev_hash=prev_hash, content=link.content) != link.hash:
            return ChainCheck(chain, count, False, link.seq, _("content does not match its hash"))
        prev_hash = link.hash
    if count != head_seq or (count and prev_hash != head_hash):
        return ChainCheck(chain, count, False, count + 1, _("events are missing at the end of the trail"))
    if head_seal is not None and not head_seal_matches(chain=chain, seq=head_seq, head=head_hash, seal=head_seal):
        return ChainCheck(chain, count, False, count, _("the seal of the trail's head does not match"))
    return ChainCheck(chain, count, True)


ChainChecks = Callable[[], Iterator[ChainCheck]]
_CHAINS: dict[str, ChainChecks] = {}


def chain_register(name: str, checks: ChainChecks) -> None:
    """Let `verify_trail` check another kind of chain (call it from an AppConfig.ready())."""
    _CHAINS[name] = checks


def registered_chains() -> dict[str, ChainChecks]:
    return dict(_CHAINS)


def event_content(
    *,
    report_id: int,
    seq: int,
    kind: str,
    actor_id: int | None,
    payload: dict[str, Any],
    public: bool,
    created_at: datetime,
) -> dict[str, Any]:
    return {
        "report": report_id,
        "seq": seq,
        "kind": kind,
        "actor": actor_id,
        "payload": payload,
        "public": public,
        "at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }


def event_hash(*, prev_hash: str, **content: Any) -> str:
    return chain_hash(prev_hash=prev_hash, content=event_content(**content))


# The report's fields its trail vouches for. The `filed` event holds all of them ("set"), and every event
# that changes one holds its new value ("set"), so `verify_trail` can replay the trail and compare the
# result with the row. Scheduling (`next_escalation_at`) and counters kept for speed are not among them.
TRAILED_FIELDS = (
    "production",
    "category",
    "severity",
    "title",
    "description",
    "occurred_at",
    "location",
    "department",
    "injuries",
    "injury_description",
    "weapon",
    "ammunition",
    "armorer_present",
    "witnesses",
    "reporter",
    "identity",
    "show_department",
    "revealed_at",
    "concerns_person",
    "concerns_role",
    "receipt_hash",
    "status",
    "escalation_level",
    "reminder_count",
    "unanswered_at_top_at",
    "acknowledged_by",
    "acknowledged_at",
    "resolved_by",
    "resolved_at",
    "resolution",
    "reopen_count",
    "repeat_of",
    "warned_whom",
    "warned_on",
    "warned_how",
    "lifted_at",
    "lifted_by",
    "clearance_note",
    "created_at",
)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def field_values(report: Report, names: Iterable[str]) -> dict[str, Any]:
    """The named fields of the report as the trail records them (foreign keys by id, times in UTC)."""
    return {name: _json_value(getattr(report, Report._meta.get_field(name).attname)) for name in names}


def _replayed_mismatch(report: Report, events: list[dict[str, Any]]) -> str | None:
    """The first trailed field whose value in the row differs from the trail's replay, if any."""
    state: dict[str, Any] = {}
    for payload in events:
        changed = payload.get("set")
        if isinstance(changed, dict):
            state.update(changed)
    if not state:
        return None  # filed before the trail recorded fields: only the chain itself is checked
    row = field_values(report, [name for name in TRAILED_FIELDS if name in state])
    for name, value in row.items():
        if state[name] != value:
            return name
    return None


@dataclass(frozen=True)
class TrailCheck:
    report_id: int
    events: int
    intact: bool
    broken_seq: int | None = None
    reason: str = ""


def _links(report_id: int, payloads: list[dict[str, Any]]) -> Iterator[ChainLink]:
    for event in Event.objects.filter(report_id=report_id).order_by("seq").iterator(chunk_size=2000):
        payloads.append(event.payload if isinstance(event.payload, dict) else {})
        content = event_content(
            report_id=report_id,
            seq=event.seq,
            kind=event.kind,
            actor_id=event.actor_id,
            payload=event.payload,
            public=event.public,
            created_at=event.created_at,
        )
        yield ChainLink(seq=event.seq, prev_hash=event.prev_hash, hash=event.hash, content=content)


def verify_trail(report: Report) -> TrailCheck:
    """Check the report's chain, the seal of its head, and that replaying the trail gives the row.

    Read the report and its events in one snapshot (`manage.py verify_trail` does): a report read before
    an event was appended, and its events after, looks like a trail cut short."""
    payloads: list[dict[str, Any]] = []
    check = chain_verify(
        chain=report_chain(report.pk),
        links=_links(report.pk, payloads),
        head_seq=report.trail_seq,
        head_hash=report.trail_head,
        head_seal=report.trail_seal,
    )
    if check.intact:
        mismatch = _replayed_mismatch(report, payloads)
        if mismatch is not None:
            reason = _("the report's %(field)s differs from what its trail recorded") % {"field": mismatch}
            return TrailCheck(report.pk, check.events, False, None, reason)
    return TrailCheck(report.pk, check.events, check.intact, check.broken_seq, check.reason)


def report_chain(report_id: int) -> str:
    """The name a report's chain is sealed under."""
    return f"report:{report_id}"


# --- the periodic seal of a production's trails, kept outside the database -------------------------


@dataclass(frozen=True)
class ProductionSeal:
    """One production's trail heads as they stood at `at`, sealed with the trail key. Printed by
    `manage.py trail_seal` and sent in the weekly digest: a copy the database cannot rewrite. A database
    rolled back or rewritten since then no longer gives the same seal (`manage.py verify_trail --seal`)."""

    production_id: int
    at: datetime
    reports: int
    events: int
    seal: str

    @property
    def line(self) -> str:
        """What to keep, and to give back to `verify_trail --seal`."""
        return f"{self.production_id} {_json_value(self.at)} {self.seal}"


def _heads_at(production_id: int, at: datetime) -> list[tuple[int, int, str]]:
    """Each report's last event written by `at`: (report, seq, hash), by report."""
    heads: dict[int, tuple[int, int, str]] = {}
    events = (
        Event.objects.filter(report__production_id=production_id, created_at__lte=at)
        .order_by("report_id", "seq")
        .values_list("report_id", "seq", "hash")
    )
    for report_id, seq, digest in events.iterator(chunk_size=5000):
        heads[report_id] = (report_id, seq, digest)
    return [heads[report_id] for report_id in sorted(heads)]


def _production_message(production_id: int, at: datetime, heads: list[tuple[int, int, str]]) -> str:
    listing = "\n".join(f"{report_id}:{seq}:{digest}" for report_id, seq, digest in heads)
    return f"production:{production_id}:{_json_value(at)}:{hashlib.sha256(listing.encode()).hexdigest()}"


def production_seal(*, production_id: int, at: datetime) -> ProductionSeal:
    at = at.astimezone(UTC)
    heads = _heads_at(production_id, at)
    seal = seal_text(_production_message(production_id, at, heads))
    return ProductionSeal(production_id, at, len(heads), sum(seq for _, seq, _ in heads), seal)


def production_seal_matches(*, production_id: int, at: datetime, seal: str) -> bool:
    at = at.astimezone(UTC)
    return seal_text_matches(_production_message(production_id, at, _heads_at(production_id, at)), seal)
