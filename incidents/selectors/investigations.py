"""Reads for investigations: which reports get one, a report's investigation with its statements, and
the reports it links that a viewer may see."""

from dataclasses import dataclass

from accounts.models import User
from incidents import access
from incidents.access import AnyUser
from incidents.categories import Severity
from incidents.ladder import ladder_for
from incidents.models import FirearmFlag, Investigation, Report, WitnessStatement


def investigation_applies(report: Report) -> bool:
    """Critical reports and firearm reports (filed in a firearm category, or a buried firearm concern a
    handler confirmed) get an investigation; the others do not (one query at most)."""
    if report.severity == Severity.CRITICAL or report.is_firearm:
        return True
    return FirearmFlag.objects.filter(report_id=report.pk, status=FirearmFlag.Status.CONFIRMED).exists()


def investigation_of(report: Report) -> Investigation | None:
    investigation = Investigation.objects.filter(report_id=report.pk).select_related("opened_by", "updated_by").first()
    if investigation is not None:
        investigation.report = report
    return investigation


def statements_of(investigation: Investigation) -> list[WitnessStatement]:
    return list(investigation.statements.select_related("added_by").order_by("added_at", "pk"))


def linked_reports_for(investigation: Investigation, viewer: AnyUser) -> list[Report]:
    """The linked reports this viewer may open, oldest first (a link never shows a report the viewer
    could not open on its own)."""
    visible = access.reports_visible_to(viewer).values("pk")
    return list(investigation.linked_reports.filter(pk__in=visible).order_by("created_at", "pk"))


def linkable_reports(report: Report, viewer: User, numbers: list[int]) -> dict[int, Report]:
    """Of the report numbers asked for, those of the same production (other than the report itself)
    this viewer may open, by number."""
    found = (
        access.reports_visible_to(viewer)
        .filter(pk__in=numbers, production_id=report.production_id)
        .exclude(pk=report.pk)
    )
    return {r.pk: r for r in found}


@dataclass(frozen=True)
class InvestigationSummary:
    """What the report page says about investigations, to a handler: this report's own (when it gets
    one), and the investigations of other reports that link to it."""

    applies: bool
    investigation: Investigation | None
    can_write: bool
    statements: int
    linked_from: list[Report]


def investigation_summary(report: Report, viewer: AnyUser) -> InvestigationSummary | None:
    """None when there is nothing to show this viewer: they may not read investigations (the reporter,
    a production admin), or the report gets none, has none and no investigation links to it."""
    if not access.is_report_handler(viewer, report):
        return None
    investigation = investigation_of(report)
    applies = investigation is not None or investigation_applies(report)
    visible = access.reports_visible_to(viewer).values("pk")
    linked_from = list(
        Report.objects.filter(investigation__linked_reports=report, pk__in=visible).order_by("created_at", "pk")
    )
    if not applies and not linked_from:
        return None
    return InvestigationSummary(
        applies=applies,
        investigation=investigation,
        can_write=applies and access.can_investigate(viewer, report, ladder_for(report.production_id)),
        statements=investigation.statements.count() if investigation is not None else 0,
        linked_from=linked_from,
    )
