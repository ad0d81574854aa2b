"""The armory's append-only trail: one hash-chained row per fact, one chain per production.

Inventory changes, custody, shooting days, safety meetings, attendance and time requests each append
an `ArmoryEvent` through `incidents.services.armory.trail`, with a sealed snapshot of the record they
changed; `manage.py verify_trail` walks every chain and compares each record with its last snapshot.
Rows are never updated or deleted (the model, its queryset and, on PostgreSQL, triggers refuse it).
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Production

from .event import AppendOnlyError
from .report import Report


class ArmoryEventKind(models.TextChoices):
    WEAPON_ADDED = "weapon_added", _("Weapon added")
    WEAPON_CHANGED = "weapon_changed", _("Weapon changed")
    WEAPON_RETIRED = "weapon_retired", _("Weapon retired")
    LOT_ADDED = "lot_added", _("Ammunition lot added")
    LOT_COUNTED = "lot_counted", _("Ammunition count changed")
    LIVE_AMMUNITION_REFUSED = "live_ammunition_refused", _("Live ammunition refused")
    CHECKED_OUT = "checked_out", _("Checked out")
    CUSTODY_CONFIRMED = "custody_confirmed", _("Check confirmed")
    CHECKED_IN = "checked_in", _("Checked in")
    GAP_REPORTED = "gap_reported", _("Gap reported")
    DAY_SCHEDULED = "day_scheduled", _("Shooting day scheduled")
    DAY_CHANGED = "day_changed", _("Shooting day changed")
    MEETING_RECORDED = "meeting_recorded", _("Safety meeting recorded")
    ATTENDANCE_CONFIRMED = "attendance_confirmed", _("Attendance confirmed")
    MEETING_CHECKED = "meeting_checked", _("Safety meeting checked at the first scene")
    WRAP_CHECKED = "wrap_checked", _("Weapons checked at wrap")
    TIME_REQUESTED = "time_requested", _("Time requested")
    TIME_APPROVED = "time_approved", _("Time request approved")
    TIME_REFUSED = "time_refused", _("Time request refused")
    TIME_UNANSWERED = "time_unanswered", _("Time request unanswered")


class ArmoryTrail(models.Model):
    """The head of a production's armory chain: appends lock this row, so they are strictly ordered."""

    production = models.OneToOneField(
        Production, on_delete=models.PROTECT, related_name="armory_trail", verbose_name=_("production")
    )
    seq = models.PositiveIntegerField(default=0)
    head = models.CharField(max_length=64, default="")
    seal = models.CharField(max_length=64, default="")

    class Meta:
        verbose_name = _("armory trail")
        verbose_name_plural = _("armory trails")

    def __str__(self) -> str:
        return str(_("Armory trail of %(production)s") % {"production": self.production})


class ArmoryEventQuerySet(models.QuerySet["ArmoryEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Armory events are append-only: they cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Armory events are append-only: they cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("Armory events are append-only: they cannot be updated.")


class ArmoryEvent(models.Model):
    production = models.ForeignKey(
        Production, on_delete=models.PROTECT, related_name="armory_events", verbose_name=_("production")
    )
    seq = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("what"), max_length=32, choices=ArmoryEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # The record this fact is about ("weapon:12", "custody:7"); its sealed state is in payload["snapshots"].
    subject = models.CharField(_("about"), max_length=40)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"))
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = ArmoryEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("armory event")
        verbose_name_plural = _("armory events")
        ordering = ["production", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["production", "seq"], name="armoryevent_unique_seq_per_production")
        ]
        indexes = [models.Index(fields=["production", "subject", "seq"], name="armoryevent_subject")]

    def __str__(self) -> str:
        return f"{self.production_id}.{self.seq} {self.kind} {self.subject}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Armory events are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Armory events are append-only: they cannot be deleted.")


class GapKind(models.TextChoices):
    LIVE_AMMUNITION = "live_ammunition", _("Live ammunition brought to the armory")
    UNCHECKED_HANDOVER = "unchecked_handover", _("Weapon handed over without the armorer's check")
    COUNT_MISMATCH = "count_mismatch", _("Round count that does not add up")
    MEETING_OVERRIDDEN = "meeting_overridden", _("Weapon checked out before the day's safety meeting")
    NO_FIREARMS_DAY = "no_firearms_day", _("Firearm checked out with no firearms day on the schedule")
    MEETING_MISSED = "meeting_missed", _("Firearms day with no safety meeting by its first scene")
    OUT_AT_WRAP = "out_at_wrap", _("Weapon not back in the armory at wrap")
    TIME_REFUSED = "time_refused", _("Time for safety work refused")
    TIME_UNANSWERED = "time_unanswered", _("Time for safety work not answered")


class ArmoryGap(models.Model):
    """A report SafeTrack filed about a gap in the armory's records, and the record it is about."""

    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="armory_gap", verbose_name=_("report"))
    production = models.ForeignKey(
        Production, on_delete=models.PROTECT, related_name="armory_gaps", verbose_name=_("production")
    )
    kind = models.CharField(_("gap"), max_length=32, choices=GapKind.choices)
    weapon = models.ForeignKey(
        "incidents.Weapon",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gaps",
        verbose_name=_("weapon"),
    )
    custody = models.ForeignKey(
        "incidents.CustodyRecord",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gaps",
        verbose_name=_("custody record"),
    )
    day = models.ForeignKey(
        "incidents.ShootingDay",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gaps",
        verbose_name=_("shooting day"),
    )
    time_request = models.ForeignKey(
        "incidents.TimeRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gaps",
        verbose_name=_("time request"),
    )
    created_at = models.DateTimeField(_("filed"))

    class Meta:
        verbose_name = _("armory gap")
        verbose_name_plural = _("armory gaps")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One report per gap of one custody record: a replayed check-in cannot file it twice.
            models.UniqueConstraint(
                fields=["custody", "kind"], condition=models.Q(custody__isnull=False), name="armorygap_once_per_custody"
            ),
            models.UniqueConstraint(
                fields=["day", "kind"], condition=models.Q(day__isnull=False), name="armorygap_once_per_day"
            ),
            models.UniqueConstraint(
                fields=["time_request", "kind"],
                condition=models.Q(time_request__isnull=False),
                name="armorygap_once_per_time_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (#{self.report_id})"
