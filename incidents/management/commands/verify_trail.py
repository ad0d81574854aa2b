"""Check every report's hash-chained trail (and every other registered chain); print the first broken
row of each broken chain.

Everything is read in one read-only, repeatable-read snapshot, so events appended while it runs are
not seen at all (rather than half seen, which looked like a trail cut short).

Exit status 0 when every chain is intact, 1 when any is broken (for cron and monitoring)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from incidents.models import Report
from incidents.trail import registered_chains, verify_trail


class Command(BaseCommand):
    help = "Verify the append-only trail of every report (or of the given ones) and report broken chains."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("report_ids", nargs="*", type=int, help="Only these reports (default: all).")

    def handle(self, *args: Any, report_ids: list[int], **options: Any) -> None:
        # Inside a caller's transaction (a test), its snapshot is the one we get.
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            checked, broken, events = self._verify(report_ids)
        if broken:
            raise CommandError(f"{broken} of {checked} trails are broken.")
        self.stdout.write(self.style.SUCCESS(f"{checked} trails intact ({events} events)."))

    def _verify(self, report_ids: list[int]) -> tuple[int, int, int]:
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
        if report_ids:
            return checked, broken, events
        for name, checks in registered_chains().items():
            for chain_check in checks():
                checked += 1
                events += chain_check.events
                if not chain_check.intact:
                    broken += 1
                    self.stderr.write(
                        f"{name} {chain_check.chain}: trail broken at event {chain_check.broken_seq}: "
                        f"{chain_check.reason}"
                    )
        return checked, broken, events
