"""`{% report_links_for report user as links %}`: what templates/incidents/includes/report_links.html shows."""

from django import template

from accounts.models import User
from incidents.models import Report
from incidents.selectors.reports import ReportLinks, report_links_for

register = template.Library()


@register.simple_tag(name="report_links_for")
def report_links_for_tag(report: Report, viewer: User) -> ReportLinks:
    return report_links_for(report, viewer)
