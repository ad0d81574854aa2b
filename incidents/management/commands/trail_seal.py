"""Print the seal of every production's trails as they stand now, to keep outside the database.

The weekly digest sends the same seal to the producers and the executive. Later,
`manage.py verify_trail --seal <production> <time> <seal>` says whether the trails still match it."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from accounts.models import Production
from incidents.trail import production_seal


class Command(BaseCommand):
    help = "Print a seal of each production's trail heads (HMAC with TRAIL_SEAL_KEY) to keep outside the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("production_ids", nargs="*", type=int, help="Only these productions (default: all).")

    def handle(self, *args: Any, production_ids: list[int], **options: Any) -> None:
        now = timezone.now()
        productions = Production.objects.order_by("pk")
        if production_ids:
            productions = productions.filter(pk__in=production_ids)
        for production in productions:
            seal = production_seal(production_id=production.pk, at=now)
            self.stdout.write(f"{production.name}: {seal.reports} reports, {seal.events} events")
            self.stdout.write(f"  {seal.line}")
        self.stdout.write("Check later with: manage.py verify_trail --seal <the line above>")
