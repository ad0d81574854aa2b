"""`{% investigation_for report user as summary %}`: what templates/incidents/includes/report_investigation.html
shows on the report page."""

from django import template

from accounts.models import User
from incidents.models import Report
from incidents.selectors.investigations import InvestigationSummary, investigation_summary

register = template.Library()


@register.simple_tag(name="investigation_for")
def investigation_for(report: Report, viewer: User) -> InvestigationSummary | None:
    return investigation_summary(report, viewer)
