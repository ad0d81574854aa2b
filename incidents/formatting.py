"""How times and durations read, in one place: always in the production's time zone.

Two audiences, two shapes. People (pages, emails, the admin) get the localised date and time with the
zone's abbreviation ("2 Dec 2026, 21:05 CET", Spanish dates in Spanish). Files (the CSV exports, the
investigation record) get fixed, sortable stamps ("2026-12-02 21:05"), with the zone's name where a
reader needs it. Durations and deadline countdowns are said in words. The template filters only
register these functions (incidents/templatetags/safetrack.py).
"""

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from accounts.models import Production
from incidents.models import Report, ReportStatus

STAMP_FORMAT = "%Y-%m-%d %H:%M"
STAMP_SECONDS_FORMAT = STAMP_FORMAT + ":%S"
FILENAME_STAMP_FORMAT = "%Y%m%d-%H%M"
CLOCK_FORMAT = "%H:%M"

Where = Production | tzinfo

# Short month names for tight spaces (chart axes), in the page's language: Django's "M" format gives
# "Sep" in Spanish too, which reads as English; Spanish writes "sept", "ene", "ago".
MONTH_ABBREVIATIONS = (
    pgettext_lazy("abbreviated month", "Jan"),
    pgettext_lazy("abbreviated month", "Feb"),
    pgettext_lazy("abbreviated month", "Mar"),
    pgettext_lazy("abbreviated month", "Apr"),
    pgettext_lazy("abbreviated month", "May"),
    pgettext_lazy("abbreviated month", "Jun"),
    pgettext_lazy("abbreviated month", "Jul"),
    pgettext_lazy("abbreviated month", "Aug"),
    pgettext_lazy("abbreviated month", "Sep"),
    pgettext_lazy("abbreviated month", "Oct"),
    pgettext_lazy("abbreviated month", "Nov"),
    pgettext_lazy("abbreviated month", "Dec"),
)


def zone_of(where: Where) -> tzinfo:
    return where.tzinfo if isinstance(where, Production) else where


def zone_name(where: Where) -> str:
    """The zone's IANA name ("Europe/Madrid"), as the production was set up."""
    if isinstance(where, Production):
        return where.timezone
    return getattr(where, "key", str(where))


def production_local(value: datetime, where: Where) -> datetime:
    return timezone.localtime(value, zone_of(where))


def local_datetime(value: datetime | None, where: Where) -> str:
    """For people: the date and time in the production's zone, localised, with the zone's abbreviation."""
    if value is None:
        return ""
    local = production_local(value, where)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def local_clock(value: datetime, where: Where) -> str:
    """For people, within a day already shown: the time of day alone ("21:05")."""
    return production_local(value, where).strftime(CLOCK_FORMAT)


def local_stamp(value: datetime | None, where: Where, *, seconds: bool = False, zone: bool = False) -> str:
    """For files: a sortable stamp in the production's zone ("2026-12-02 21:05"), optionally with the
    seconds and the zone's name ("2026-12-02 21:05:09 Europe/Madrid")."""
    if value is None:
        return ""
    stamp = production_local(value, where).strftime(STAMP_SECONDS_FORMAT if seconds else STAMP_FORMAT)
    return f"{stamp} {zone_name(where)}" if zone else stamp


def local_iso(value: datetime | None, where: Where) -> str:
    """For files read by programs: ISO 8601 with the production's offset ("2026-12-02T21:05:09+01:00")."""
    if value is None:
        return ""
    return production_local(value, where).isoformat(timespec="seconds")


def filename_stamp(value: datetime, where: Where) -> str:
    return production_local(value, where).strftime(FILENAME_STAMP_FORMAT)


def payload_datetime(value: object) -> datetime | None:
    """A time an event's payload holds (ISO text), or None when it holds none or something else."""
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def day_month(value: date) -> str:
    """A day and its short month, for chart axes: "21 Sep", in Spanish "21 sept"."""
    return f"{value.day} {MONTH_ABBREVIATIONS[value.month - 1]}"


def duration_text(seconds: float) -> str:
    """A short, rounded duration for a countdown: "under a minute", "3 min", "2 h 5 min", "4 days"."""
    seconds = abs(int(seconds))
    if seconds < 60:
        return _("under a minute")
    minutes = seconds // 60
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        if minutes:
            return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
        return _("%(hours)d h") % {"hours": hours}
    days = hours // 24
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}


@dataclass(frozen=True)
class Countdown:
    deadline: datetime | None
    overdue: bool
    text: str


def countdown(report: Report, now: datetime) -> Countdown:
    """What the deadline means for this report, in words (overdue is said in text, not only colour)."""
    deadline = report.next_escalation_at
    if deadline is None:
        if report.status == ReportStatus.OPEN and getattr(report, "unanswered_at_top_at", None):
            return Countdown(None, True, _("unanswered at the top"))
        return Countdown(None, False, _("no deadline"))
    left = (deadline - now).total_seconds()
    if report.status == ReportStatus.OPEN:
        if left >= 0:
            return Countdown(deadline, False, _("escalates in %(duration)s") % {"duration": duration_text(left)})
        return Countdown(deadline, True, _("overdue by %(duration)s") % {"duration": duration_text(left)})
    if left >= 0:
        return Countdown(deadline, False, _("resolve within %(duration)s") % {"duration": duration_text(left)})
    return Countdown(deadline, True, _("resolution overdue by %(duration)s") % {"duration": duration_text(left)})
