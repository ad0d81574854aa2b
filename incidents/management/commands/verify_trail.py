"""Check every report's hash-chained trail (and every other registered chain); print the first broken
row of each broken chain.

Everything is read in one read-only, repeatable-read snapshot, so events appended while it runs are
not seen at all (rather than half seen, which looked like a trail cut short).

Exit status 0 when every chain is intact, 1 when any is broken (for cron and monitoring)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from incidents.models import Report
from incidents.trail import production_seal_matches, registered_chains, verify_trail
from safetrack.ids import id_from


class Command(BaseCommand):
    help = "Verify the append-only trail of every report (or of the given ones) and report broken chains."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("report_ids", nargs="*", type=int, help="Only these reports (default: all).")
        parser.add_argument(
            "--seal",
            nargs=3,
            metavar=("PRODUCTION", "TIME", "SEAL"),
            help="Also check a seal kept from `trail_seal` or the weekly digest.",
        )

    def handle(self, *args: Any, report_ids: list[int], seal: list[str] | None = None, **options: Any) -> None:
        if seal:
            self._check_seal(*seal)
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

    def _check_seal(self, production: str, at: str, seal: str) -> None:
        production_id, when = id_from(production), parse_datetime(at)
        if production_id is None or when is None or when.tzinfo is None:
            raise CommandError("Give the seal line as printed: <production> <time> <seal>.")
        if not production_seal_matches(production_id=production_id, at=when, seal=seal):
            raise CommandError(
                f"Production {production_id}: the trails no longer match the seal of {at}: "
                "events written by then were changed, removed or the database was rolled back."
            )
        self.stdout.write(self.style.SUCCESS(f"Production {production_id}: the trails match the seal of {at}."))

    def _verify(self, report_ids: list[int]) -> tuple[int, int, int]:
        reports = Report.objects.order_by("pk")
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
