"""The armory on report pages: the record a report SafeTrack filed is about, linked for those who may open it."""

from dataclasses import dataclass

from django import template

from incidents import access
from incidents.models import ArmoryGap, Report

register = template.Library()


@dataclass(frozen=True)
class GapLink:
    gap: ArmoryGap
    sees_logs: bool  # the weapon page and the armory's inventory are for the production's handlers


@register.simple_tag
def armory_gap_for(report: Report, user: object) -> GapLink | None:
    gap = ArmoryGap.objects.filter(report=report).select_related("weapon").first()
    if gap is None:
        return None
    return GapLink(gap=gap, sees_logs=access.is_handler_in(user, report.production_id))  # type: ignore[arg-type]
