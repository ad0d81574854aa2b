"""Reads for a report's follow-up: its firearm flag, its corrective actions and its investigation."""

from incidents.models import FirearmFlag, Report


def firearm_flag_of(report: Report) -> FirearmFlag | None:
    """The report's latest flag (waiting, confirmed or cleared), or None if the scanner never flagged it."""
    return (
        FirearmFlag.objects.filter(report_id=report.pk)
        .select_related("decided_by")
        .order_by("-flagged_at", "-pk")
        .first()
    )
