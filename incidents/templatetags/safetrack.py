from datetime import datetime

from django import template
from django.utils import formats, timezone

from accounts.models import Production
from incidents import access
from incidents.models import Report

register = template.Library()


@register.filter
def reporter_for(report: Report, user: object) -> str:
    """The reporter as this viewer may see them ("A crew member" for confidential and anonymous)."""
    return access.reporter_label(report, user)  # type: ignore[arg-type]


@register.filter
def in_production_tz(value: datetime | None, production: Production) -> str:
    """A date and time in the production's time zone, with the zone's abbreviation."""
    if value is None:
        return ""
    local = timezone.localtime(value, production.tzinfo)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


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
