"""How the admin names people and shows trail details without giving away a hidden reporter."""

import json
from typing import Any

from django.contrib.auth.models import AnonymousUser

from incidents import access
from incidents.models import Event

# Payload keys that hold user ids (who was notified); the hidden reporter's id is never shown there.
PERSON_KEYS = ("recipient", "recipients")
# Fields in a payload's "set" (the report's fields the event changed) that hold user ids.
SET_PERSON_KEYS = ("reporter", "acknowledged_by", "resolved_by", "lifted_by")


def event_details(event: Event, viewer: Any) -> str:
    """The event's payload as compact JSON, with a hidden reporter's user id replaced by "reporter"."""
    report = event.report
    payload = dict(event.payload or {})
    hidden = report.reporter_id if not access.reporter_visible(viewer or AnonymousUser(), report) else None
    if hidden is not None:
        for key in PERSON_KEYS:
            value = payload.get(key)
            if value == hidden:
                payload[key] = "reporter"
            elif isinstance(value, list):
                payload[key] = ["reporter" if item == hidden else item for item in value]
        changed = payload.get("set")
        if isinstance(changed, dict):
            payload["set"] = {
                key: "reporter" if key in SET_PERSON_KEYS and value == hidden else value
                for key, value in changed.items()
            }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
