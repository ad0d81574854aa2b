"""Check every report's hash-chained trail; print the first broken row of each broken chain.

Exit status 0 when every chain is intact, 1 when any is broken (for cron and monitoring)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.models import Report
from incidents.services.trail import verify_trail


class Command(BaseCommand):
    help = "Verify the append-only trail of every report (or of the given ones) and report broken chains."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("report_ids", nargs="*", type=int, help="Only these reports (default: all).")

    def handle(self, *args: Any, report_ids: list[int], **options: Any) -> None:
        reports = Report.objects.only("pk", "trail_seq", "trail_head").order_by("pk")
        if report_ids:
            reports = reports.filter(pk__in=report_ids)
            missing = set(report_ids) - set(reports.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No report with id {', '.join(str(pk) for pk in sorted(missing))}.")
        checked = broken = events = 0
        for report in reports.iterator(chunk_size=500):
            check = verify_trail(report)
            checked += 1
            events += check.events
            if not check.intact:
                broken += 1
                self.stderr.write(
                    f"Report #{check.report_id}: trail broken at event {check.broken_seq}: {check.reason}"
                )
        if broken:
            raise CommandError(f"{broken} of {checked} report trails are broken.")
        self.stdout.write(self.style.SUCCESS(f"{checked} report trails intact ({events} events)."))
