from .event import EscalationReason, Event, EventKind, EventQuerySet
from .notification import Channel, Notification
from .ops import DigestRun, Heartbeat
from .policy import EscalationLevel, EscalationPolicy
from .report import Ammunition, Attachment, Identity, Report, ReportStatus
from .scanner import FirearmFlag, WarningTerm

__all__ = [
    "Ammunition",
    "Attachment",
    "Channel",
    "DigestRun",
    "EscalationLevel",
    "EscalationPolicy",
    "EscalationReason",
    "Event",
    "EventKind",
    "EventQuerySet",
    "FirearmFlag",
    "Heartbeat",
    "Identity",
    "Notification",
    "Report",
    "ReportStatus",
    "WarningTerm",
]
