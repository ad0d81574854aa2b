import secrets
import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safetrack.outbound import host_refusal
from safetrack.text import validate_name

# Unambiguous characters (no 0/O, 1/I/L) so a code read off a call sheet is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 12


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


def validate_webhook_url(value: str) -> None:
    """Webhooks go to a public HTTPS service (Slack and the like), never to this network's own hosts."""
    parts = urlsplit(value)
    if parts.scheme != "https":
        raise ValidationError(_("A webhook address must start with https://."))
    # The name as it will be resolved (no trailing dot, lower case); checked again at each send.
    if host_refusal(parts.hostname or ""):
        raise ValidationError(_("A webhook cannot point at this machine or the local network."))


def validate_timezone(value: str) -> None:
    # Checked against the machine's zone database, not frozen into a migration as choices.
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone (e.g. America/New_York)."), params={"value": value})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, validators=[validate_name])
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("Emails and pages use this language."),
    )
    is_staff = models.BooleanField(_("staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    CREW = "crew", _("Crew member")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    ARMORER = "armorer", _("Armorer")
    SAFETY = "safety", _("Safety coordinator / 1st AD")
    UPM = "upm", _("Unit production manager")
    PRODUCER = "producer", _("Producer / line producer")
    EXECUTIVE = "executive", _("Executive / studio safety")

    @property
    def rank(self) -> int:
        return ROLE_RANKS[self]


# The production hierarchy, lowest first. Armorer and safety coordinator share a rank.
ROLE_RANKS: dict[str, int] = {
    Role.CREW: 0,
    Role.DEPARTMENT_HEAD: 10,
    Role.ARMORER: 20,
    Role.SAFETY: 20,
    Role.UPM: 30,
    Role.PRODUCER: 40,
    Role.EXECUTIVE: 50,
}
HANDLER_MIN_RANK = ROLE_RANKS[Role.DEPARTMENT_HEAD]
PRODUCER_RANK = ROLE_RANKS[Role.PRODUCER]


def rank_of(role: str) -> int:
    return ROLE_RANKS[role]


class Department(models.TextChoices):
    CAMERA = "camera", _("Camera")
    GRIP = "grip", _("Grip")
    ELECTRIC = "electric", _("Electric / lighting")
    PROPS = "props", _("Props / armory")
    ART = "art", _("Art / set dressing")
    CONSTRUCTION = "construction", _("Construction")
    COSTUME = "costume", _("Costume / wardrobe")
    MAKEUP = "makeup", _("Hair and makeup")
    SOUND = "sound", _("Sound")
    STUNTS = "stunts", _("Stunts")
    SFX = "sfx", _("Special effects")
    TRANSPORT = "transport", _("Transport / vehicles")
    LOCATIONS = "locations", _("Locations")
    CAST = "cast", _("Cast")
    PRODUCTION = "production", _("Production / ADs")
    OTHER = "other", _("Other")


class Production(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Shooting")
        WRAPPED = "wrapped", _("Wrapped")

    name = models.CharField(_("name"), max_length=200, validators=[validate_name])
    join_code = models.CharField(_("join code"), max_length=32, unique=True, default=new_join_code)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_timezone])
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    webhook_url = models.URLField(
        _("webhook URL"),
        blank=True,
        validators=[validate_webhook_url],
        help_text=_("Slack-compatible incoming webhook that receives every notification of this production."),
    )
    sms_monthly_cap = models.PositiveIntegerField(
        _("text messages a month"),
        default=300,
        help_text=_(
            "At most this many text messages (SMS) a calendar month, for critical reports and stop-work calls. "
            "Past it, text messages are not sent (each is recorded as failed) and email and push still go. "
            "0: this production sends none."
        ),
    )
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="administered_productions",
        verbose_name=_("admin staff"),
        help_text=_("Staff users who administer this production in the admin (superusers see all)."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Bumped by database triggers (incidents migration 0014) whenever the production's memberships, its
    # escalation policy, levels or the people named on them, or a member's email, active or superuser
    # flag change: in-process caches of the ladder and the handlers key on it, so any write path (the
    # admin, a service, a raw UPDATE) invalidates them, and reading it costs nothing (the row is loaded).
    config_version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("production")
        verbose_name_plural = _("productions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("production_detail", args=[self.pk])

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    production = models.ForeignKey(
        Production, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("production")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.CREW)
    department = models.CharField(_("department"), max_length=32, choices=Department.choices, default=Department.OTHER)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["production__name", "user__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "production"], name="membership_unique_user_production"),
        ]
        indexes = [models.Index(fields=["production", "role"], name="membership_production_role")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.production})"

    @property
    def rank(self) -> int:
        return rank_of(self.role)

    @property
    def is_handler(self) -> bool:
        return self.rank >= HANDLER_MIN_RANK
