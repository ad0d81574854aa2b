"""The armory's evidence, read: per weapon and per day, the custody log, the safety meetings and who
confirmed attendance, the time requests and their answers, and the reports SafeTrack filed about
them, from the production's armory trail (each event in words, with its hash). As a CSV file (every
cell through csv_safe) and as sections of the investigation record (page and PDF) of a report that
SafeTrack filed about an armory record.
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.utils.translation import gettext as _

from accounts.models import Production, User
from incidents.armory_chain import armory_trail_check
from incidents.armory_text import armory_event_text
from incidents.formatting import filename_stamp, local_stamp
from incidents.models import ArmoryEvent, Report
from incidents.selectors.armory import report_armory_evidence

from .csv_safety import csv_safe
from .record_parts import RecordField, RecordSection


class _Line:
    def write(self, value: str) -> str:
        return value


def evidence_header(production: Production) -> list[str]:
    return [
        _("Number"),
        _("When (%(zone)s)") % {"zone": production.timezone},
        _("What"),
        _("Who"),
        _("In words"),
        _("About"),
        _("Hash"),
        _("Previous hash"),
    ]


def evidence_row(event: ArmoryEvent, production: Production) -> list[str]:
    who = (event.payload or {}).get("actor_name") or (str(event.actor) if event.actor_id else _("SafeTrack"))
    return [
        str(event.seq),
        local_stamp(event.created_at, production, seconds=True),
        event.get_kind_display(),
        who,
        armory_event_text(event),
        event.subject,
        event.hash,
        event.prev_hash,
    ]


def evidence_csv(events: Iterable[ArmoryEvent], production: Production) -> Iterator[str]:
    """The events as CSV lines (UTF-8 with a BOM so spreadsheets read accents right), then a last line
    saying whether the production's armory trail verifies."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([csv_safe(cell) for cell in evidence_header(production)])
    for event in events:
        yield writer.writerow([csv_safe(cell) for cell in evidence_row(event, production)])
    yield writer.writerow([csv_safe(_trail_words(production.pk))])


def evidence_filename(production: Production, what: str, now: datetime) -> str:
    return f"safetrack-{production.pk}-armory-{what}-{filename_stamp(now, production)}.csv"


def _trail_words(production_id: int) -> str:
    check = armory_trail_check(production_id)
    if check.intact:
        return _("Armory trail intact: %(count)s events, each chained to the one before.") % {"count": check.events}
    return _("Armory trail broken at event %(seq)s: %(reason)s") % {"seq": check.broken_seq, "reason": check.reason}


def armory_sections(report: Report, viewer: User) -> list[RecordSection]:
    """For a report SafeTrack filed about an armory record: the record it is about and its evidence."""
    gap, events = report_armory_evidence(report.pk)
    if gap is None or events is None:
        return []
    production = report.production
    about = [RecordField(_("Gap"), gap.get_kind_display())]
    if gap.weapon_id:
        about.append(RecordField(_("Weapon"), str(gap.weapon)))
    if gap.custody_id:
        record = gap.custody
        about.append(
            RecordField(
                _("Check-out"),
                _("%(weapon)s to %(person)s, scene %(scene)s, out %(out)s, back %(back)s")
                % {
                    "weapon": record.weapon,
                    "person": record.handed_to,
                    "scene": record.scene,
                    "out": local_stamp(record.checked_out_at, production),
                    "back": local_stamp(record.checked_in_at, production) or _("not back"),
                },
                long=True,
            )
        )
    if gap.day_id:
        about.append(RecordField(_("Shooting day"), f"{gap.day.date.isoformat()} ({gap.day.scenes})"))
    if gap.time_request_id:
        asked = gap.time_request
        about.append(RecordField(_("Time request"), f"{asked.what} ({asked.needed_on.isoformat()})"))
    lines = [
        RecordField(
            f"{event.seq} · {local_stamp(event.created_at, production, seconds=True)}",
            f"{armory_event_text(event)}\n{_('hash')} {event.hash}",
            long=True,
        )
        for event in events
    ]
    lines.append(RecordField(_("Verification"), _trail_words(production.pk), long=True))
    return [RecordSection(_("The armory record"), about), RecordSection(_("Armory evidence"), lines)]
