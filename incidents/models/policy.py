from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import ROLE_RANKS, Production, Role, rank_of
from incidents.categories import Severity

# (roles, critical, high, medium, low) for each default level, lowest first.
DEFAULT_LEVELS: list[tuple[list[str], timedelta, timedelta, timedelta, timedelta]] = [
    (
        [Role.DEPARTMENT_HEAD, Role.ARMORER],
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=2),
        timedelta(hours=24),
    ),
    ([Role.SAFETY], timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=2), timedelta(hours=24)),
    ([Role.UPM], timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=2), timedelta(hours=24)),
    ([Role.PRODUCER], timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=2), timedelta(hours=24)),
    ([Role.EXECUTIVE], timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=2), timedelta(hours=24)),
]


class EscalationPolicyManager(models.Manager["EscalationPolicy"]):
    @transaction.atomic
    def create_default(self, *, production: Production) -> "EscalationPolicy":
        """Give a production the default film-set ladder (idempotent: an existing policy is kept).

        It lives on the model, below the ladder, because reading a ladder may have to create it:
        a production made without one still escalates along the default film-set hierarchy."""
        policy, created = self.get_or_create(production=production)
        if created or not policy.levels.exists():
            EscalationLevel.objects.bulk_create(
                EscalationLevel(
                    policy=policy,
                    number=number,
                    roles=[str(r) for r in roles],
                    critical_timeout=critical,
                    high_timeout=high,
                    medium_timeout=medium,
                    low_timeout=low,
                )
                for number, (roles, critical, high, medium, low) in enumerate(DEFAULT_LEVELS, start=1)
            )
        return policy


class EscalationPolicy(models.Model):
    """How a production's reports climb: ordered levels, plus deadlines to resolve once acknowledged."""

    production = models.OneToOneField(
        Production, on_delete=models.CASCADE, related_name="policy", verbose_name=_("production")
    )
    resolve_critical = models.DurationField(_("resolve critical within"), default=timedelta(hours=4))
    resolve_high = models.DurationField(_("resolve high within"), default=timedelta(hours=24))
    resolve_medium = models.DurationField(_("resolve medium within"), default=timedelta(days=3))
    resolve_low = models.DurationField(_("resolve low within"), default=timedelta(days=7))
    repeat_incident_enabled = models.BooleanField(
        _("flag repeat firearm incidents"),
        default=True,
        help_text=_("A second firearm report within the window is raised to critical and sent to the top level."),
    )
    repeat_incident_window = models.DurationField(_("repeat incident window"), default=timedelta(days=14))
    top_reminders = models.PositiveSmallIntegerField(
        _("reminders at the top level"),
        default=3,
        help_text=_(
            "Repeat the top level this many times, at its interval, while nobody acknowledges. After the last "
            "reminder the report is marked unanswered at the top and the production's admins are alerted."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = EscalationPolicyManager()

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    resolve_critical__gt=timedelta(0),
                    resolve_high__gt=timedelta(0),
                    resolve_medium__gt=timedelta(0),
                    resolve_low__gt=timedelta(0),
                ),
                name="policy_resolve_deadlines_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(repeat_incident_window__gt=timedelta(0)), name="policy_repeat_window_positive"
            ),
            models.CheckConstraint(condition=models.Q(top_reminders__lte=20), name="policy_top_reminders_bounded"),
        ]

    def __str__(self) -> str:
        return str(_("Escalation policy of %(production)s") % {"production": self.production})

    def resolve_within(self, severity: str) -> timedelta:
        return getattr(self, f"resolve_{severity}")


class EscalationLevel(models.Model):
    policy = models.ForeignKey(
        EscalationPolicy, on_delete=models.CASCADE, related_name="levels", verbose_name=_("policy")
    )
    number = models.PositiveSmallIntegerField(_("level"))
    roles = models.JSONField(_("roles to notify"), default=list, blank=True)
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("people to notify as well")
    )
    critical_timeout = models.DurationField(_("critical: acknowledge within"), default=timedelta(minutes=5))
    high_timeout = models.DurationField(_("high: acknowledge within"), default=timedelta(minutes=15))
    medium_timeout = models.DurationField(_("medium: acknowledge within"), default=timedelta(hours=2))
    low_timeout = models.DurationField(_("low: acknowledge within"), default=timedelta(hours=24))

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        ordering = ["policy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="level_unique_number_per_policy"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="level_number_positive"),
            models.CheckConstraint(
                condition=models.Q(
                    critical_timeout__gt=timedelta(0),
                    high_timeout__gt=timedelta(0),
                    medium_timeout__gt=timedelta(0),
                    low_timeout__gt=timedelta(0),
                ),
                name="level_timeouts_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Level %(number)s: %(roles)s") % {"number": self.number, "roles": self.roles_display()})

    def timeout(self, severity: str) -> timedelta:
        return getattr(self, f"{Severity(severity).value}_timeout")

    def roles_display(self) -> str:
        labels = dict(Role.choices)
        return ", ".join(str(labels.get(role, role)) for role in self.roles)

    @property
    def min_rank(self) -> int:
        """The lowest rank named at this level: anyone at or above it may acknowledge here."""
        # ROLE_RANKS, not Role.choices: this runs for every row of every queue (choices builds labels).
        ranks = [ROLE_RANKS[role] for role in self.roles if role in ROLE_RANKS]
        return min(ranks) if ranks else rank_of(Role.DEPARTMENT_HEAD)
