"""The investigation's part of the investigation record (page and PDF): what happened, the why chain
with its root cause, the contributing factors, the linked reports the viewer may open and the witness
statements with their SHA-256, as record sections the page and the PDF already know how to lay out."""

from django.utils.translation import gettext as _

from accounts.models import User
from incidents import access
from incidents.formatting import local_stamp
from incidents.models import Report
from incidents.selectors.investigations import investigation_of, linked_reports_for, statements_of

from .record_parts import RecordField, RecordSection


def investigation_sections(report: Report, viewer: User) -> list[RecordSection]:
    investigation = investigation_of(report)
    if investigation is None:
        return []
    production = report.production
    whys = [
        RecordField(_("Why %(number)s") % {"number": n}, why, long=True)
        for n, why in enumerate(investigation.whys, start=1)
    ]
    fields = [
        RecordField(_("Opened by"), access.person_label(investigation.opened_by, report, viewer)),
        RecordField(_("Opened"), local_stamp(investigation.opened_at, production, zone=True)),
        RecordField(_("Last changed by"), access.person_label(investigation.updated_by, report, viewer)),
        RecordField(_("Last changed"), local_stamp(investigation.updated_at, production, zone=True)),
        RecordField(_("What happened"), investigation.what_happened, long=True),
        *whys,
        RecordField(_("Root cause"), investigation.root_cause, long=True),
        RecordField(_("Contributing factors"), ", ".join(investigation.factor_labels())),
        RecordField(
            _("Linked reports"),
            "\n".join(f"#{r.pk} {r.title}" for r in linked_reports_for(investigation, viewer)),
            long=True,
        ),
    ]
    statements = [
        RecordField(
            _("Statement %(number)s: %(witness)s") % {"number": n, "witness": s.witness},
            _("%(name)s, %(type)s, %(size)s bytes, added %(when)s by %(who)s, SHA-256 %(sha)s")
            % {
                "name": s.original_name,
                "type": s.content_type,
                "size": s.size,
                "when": local_stamp(s.added_at, production),
                "who": access.person_label(s.added_by, report, viewer),
                "sha": s.sha256,
            },
            long=True,
        )
        for n, s in enumerate(statements_of(investigation), start=1)
    ] or [RecordField(_("Witness statements"), _("None."))]
    return [RecordSection(_("Investigation"), fields), RecordSection(_("Witness statements"), statements)]
