from django import template

from incidents import access
from incidents.formatting import local_datetime
from incidents.ladder import ladder_for
from incidents.ladder import level_words as ladder_level_words
from incidents.models import Report

register = template.Library()
# A date and time in the production's time zone, with the zone's abbreviation.
register.filter("in_production_tz", local_datetime)


@register.filter
def reporter_for(report: Report, user: object) -> str:
    """The reporter as this viewer may see them ("A crew member" for confidential and anonymous)."""
    return access.reporter_label(report, user)  # type: ignore[arg-type]


@register.filter
def level_words(report: Report) -> str:
    """ "Level 5 of 5 (Executive) · reminder 2 of 3" (the production's ladder is cached per process)."""
    return ladder_level_words(ladder_for(report.production), report)


@register.simple_tag(takes_context=True)
def person_shown(context: template.Context, person: object, report: Report) -> str:
    """A person named on a report (who acknowledged, resolved, lifted it) as the page's viewer may know
    them: never the name of a confidential or anonymous reporter."""
    request = context.get("request")
    return access.person_label(person, report, getattr(request, "user", None))  # type: ignore[arg-type]


SEVERITY_CLASSES = {
    "critical": "text-bg-danger",
    "high": "text-bg-warning",
    "medium": "text-bg-info",
    "low": "text-bg-secondary",
}
STATUS_CLASSES = {"open": "text-bg-danger", "acknowledged": "text-bg-warning", "resolved": "text-bg-success"}


@register.filter
def severity_class(severity: str) -> str:
    return SEVERITY_CLASSES.get(severity, "text-bg-secondary")


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "text-bg-secondary")
