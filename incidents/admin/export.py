"""Reports as CSV for the admin: identities as the viewer may know them, times in each production's
zone, and every cell safe to open in a spreadsheet (no formulas)."""

import csv
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from incidents import access
from incidents.formatting import local_iso
from incidents.models import Report
from incidents.reporting.csv_safety import csv_safe


def report_rows(reports: Iterable[Report], viewer: Any) -> Iterable[list[str]]:
    yield [
        _("id"),
        _("production"),
        _("filed"),
        _("occurred"),
        _("category"),
        _("severity"),
        _("status"),
        _("level"),
        _("escalates at"),
        _("title"),
        _("reporter"),
        _("identity"),
        _("department"),
        _("location"),
        _("acknowledged by"),
        _("acknowledged"),
        _("resolved"),
        _("corrective action"),
    ]
    for report in reports:
        yield [
            csv_safe(value)
            for value in (
                report.pk,
                report.production.name,
                local_iso(report.created_at, report.production),
                local_iso(report.occurred_at, report.production),
                report.get_category_display(),
                report.get_severity_display(),
                report.get_status_display(),
                report.escalation_level,
                local_iso(report.next_escalation_at, report.production),
                report.title,
                access.reporter_label(report, viewer),
                report.get_identity_display(),
                report.get_department_display(),
                report.location,
                access.person_label(report.acknowledged_by, report, viewer),
                local_iso(report.acknowledged_at, report.production),
                local_iso(report.resolved_at, report.production),
                report.resolution,
            )
        ]


def reports_csv_response(reports: Iterable[Report], viewer: Any) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="safetrack-reports.csv"'
    response.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(response)
    writer.writerows(report_rows(reports, viewer))
    return response
