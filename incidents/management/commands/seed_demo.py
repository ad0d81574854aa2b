"""A demo production with a realistic crew and known passwords. Idempotent: a second run changes nothing."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Department, Membership, Production, Role, User
from incidents.services.policy import policy_create_default, policy_set_speed

DEMO_PRODUCTION = "Dust Devil (demo)"
DEMO_JOIN_CODE = "DUSTDEVIL234"
DEMO_PASSWORD = "safetrack-demo"  # noqa: S105 (printed for the demo on purpose)
ADMIN_EMAIL = "admin@safetrack.example"
ADMIN_PASSWORD = "safetrack-admin"  # noqa: S105

CAST: list[tuple[str, str, str, str]] = [
    # email, name, role, department
    ("grip@safetrack.example", "Gabi Grip", Role.CREW, Department.GRIP),
    ("camera@safetrack.example", "Cam Operator", Role.CREW, Department.CAMERA),
    ("props.assistant@safetrack.example", "Pat Props", Role.CREW, Department.PROPS),
    ("key.grip@safetrack.example", "Kay Keygrip", Role.DEPARTMENT_HEAD, Department.GRIP),
    ("dp@safetrack.example", "Dee Photography", Role.DEPARTMENT_HEAD, Department.CAMERA),
    ("propmaster@safetrack.example", "Max Propmaster", Role.DEPARTMENT_HEAD, Department.PROPS),
    ("armorer@safetrack.example", "Arden Armorer", Role.ARMORER, Department.PROPS),
    ("first.ad@safetrack.example", "Ada First-AD", Role.SAFETY, Department.PRODUCTION),
    ("upm@safetrack.example", "Una Manager", Role.UPM, Department.PRODUCTION),
    ("producer@safetrack.example", "Pia Producer", Role.PRODUCER, Department.PRODUCTION),
    ("line.producer@safetrack.example", "Lee Lineproducer", Role.PRODUCER, Department.PRODUCTION),
    ("executive@safetrack.example", "Eve Executive", Role.EXECUTIVE, Department.PRODUCTION),
]


class Command(BaseCommand):
    help = "Create the demo production, its crew and an admin (idempotent). --fast makes escalation take seconds."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--fast", action="store_true", help="10 seconds per level, so a climb takes a minute.")
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        production, _created = Production.objects.get_or_create(
            name=DEMO_PRODUCTION, defaults={"join_code": DEMO_JOIN_CODE, "timezone": "America/Denver"}
        )
        policy = policy_create_default(production=production)
        if options["fast"]:
            policy_set_speed(policy=policy, per_level=timedelta(seconds=10), resolve=timedelta(seconds=60))
        admin = User.objects.filter(email=ADMIN_EMAIL).first()
        if admin is None:
            admin = User.objects.create_superuser(ADMIN_EMAIL, ADMIN_PASSWORD, full_name="Sam Admin")
        # The demo's admin administers its production, so a report unanswered at the top shows the
        # intended last safety net (the production's admins) rather than the fallback to the site's.
        production.admins.add(admin)
        for email, name, role, department in CAST:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name)
            Membership.objects.get_or_create(
                user=user, production=production, defaults={"role": role, "department": department}
            )
        if options["quiet"]:
            return
        for line in demo_guide(production):
            self.stdout.write(line)


def demo_guide(production: Production, site: str = "") -> list[str]:
    """Where to go and who to be in the demo: its pages (as full URLs when `site` is given) and logins."""
    lines = [
        f"Demo production: {production.name} (join code {production.join_code})",
        f"  Home                     {site}/",
        f"  Handlers' dashboard      {site}/dashboard/",
        f"  Anonymous report (QR)    {site}/anonymous/{production.join_code}/",
        f"  Follow up a receipt      {site}/receipt/",
        f"  Admin                    {site}/admin/  as {ADMIN_EMAIL} / {ADMIN_PASSWORD}",
        f"Everyone else's password: {DEMO_PASSWORD}",
    ]
    lines.extend(f"  {email:<36} {name:<18} {Role(role).label}" for email, name, role, _department in CAST)
    return lines
