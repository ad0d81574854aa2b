from .action import ActionStatus, CorrectiveAction
from .armory import LOADABLE_KINDS, MEETING_REQUIRED_KINDS, AmmoKind, AmmoLot, Weapon, WeaponKind, WeaponStatus
from .armory_custody import LOAD_AMMO, CustodyRecord, Load, Presence
from .armory_days import (
    DAY_FLAGS,
    MEETING_GRACE,
    MeetingAttendance,
    SafetyMeeting,
    ShootingDay,
    TimeRequest,
    TimeRequestKind,
    TimeRequestStatus,
)
from .armory_trail import ArmoryEvent, ArmoryEventKind, ArmoryGap, ArmoryTrail, GapKind
from .contact import ChannelPreference, PhoneNumber, PushSubscription, SmsMonthCount
from .event import AcknowledgedVia, EscalationReason, Event, EventKind, EventQuerySet
from .investigation import MAX_WHYS, Factor, Investigation, WitnessStatement
from .notification import Channel, Notification
from .ops import DigestRun, Heartbeat
from .policy import EscalationLevel, EscalationPolicy
from .report import Ammunition, Attachment, Identity, Report, ReportStatus
from .scanner import FirearmFlag, WarningTerm

__all__ = [
    "DAY_FLAGS",
    "LOADABLE_KINDS",
    "LOAD_AMMO",
    "MAX_WHYS",
    "MEETING_GRACE",
    "MEETING_REQUIRED_KINDS",
    "AcknowledgedVia",
    "ActionStatus",
    "AmmoKind",
    "AmmoLot",
    "Ammunition",
    "ArmoryEvent",
    "ArmoryEventKind",
    "ArmoryGap",
    "ArmoryTrail",
    "Attachment",
    "Channel",
    "ChannelPreference",
    "CorrectiveAction",
    "CustodyRecord",
    "DigestRun",
    "EscalationLevel",
    "EscalationPolicy",
    "EscalationReason",
    "Event",
    "EventKind",
    "EventQuerySet",
    "Factor",
    "FirearmFlag",
    "GapKind",
    "Heartbeat",
    "Identity",
    "Investigation",
    "Load",
    "MeetingAttendance",
    "Notification",
    "PhoneNumber",
    "Presence",
    "PushSubscription",
    "Report",
    "ReportStatus",
    "SafetyMeeting",
    "ShootingDay",
    "SmsMonthCount",
    "TimeRequest",
    "TimeRequestKind",
    "TimeRequestStatus",
    "WarningTerm",
    "Weapon",
    "WeaponKind",
    "WeaponStatus",
    "WitnessStatement",
]
