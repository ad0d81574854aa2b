"""Shooting days and their safety meetings, and the armorer's time requests (DESIGN.md flow 6).

Rows are written by `incidents.services.armory.days` and `.time_requests` only; each change is sealed
on the production's armory trail. A firearms day needs its safety meeting recorded before a firearm is
checked out; the sweeper looks at a firearms day once its first scene is due (no meeting: a report)
and once its wrap time has passed (a weapon still out: a report).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from accounts.models import Production

# A firearms day's meeting is looked for at its first scene, but never sooner than this after the day
# was put on the schedule: a day added (or found missing) after its first scene gives the planner time
# to record the meeting that was held, instead of a report the moment the day is saved. Half an hour is
# a few minutes' typing on a phone with room to find the topics and who led it, and short enough that a
# meeting that really was skipped is still reported within the morning's first setup. Nothing is let
# out meanwhile: until the meeting is recorded, no firearm leaves the armory (firearms_gate).
MEETING_GRACE = timedelta(minutes=30)


class ShootingDay(models.Model):
    production = models.ForeignKey(
        Production, on_delete=models.PROTECT, related_name="shooting_days", verbose_name=_("production")
    )
    date = models.DateField(_("date"))
    scenes = models.CharField(_("scenes"), max_length=300)
    firearms = models.BooleanField(_("firearms"), default=False)
    stunts = models.BooleanField(_("stunts"), default=False)
    pyrotechnics = models.BooleanField(_("pyrotechnics"), default=False)
    vehicles = models.BooleanField(_("vehicles"), default=False)
    first_scene_at = models.DateTimeField(_("first scene"))
    wrap_at = models.DateTimeField(_("wrap"))
    # Set once by the sweeper when it looked at the day (compare-and-set: a second sweeper finds it set).
    meeting_checked_at = models.DateTimeField(_("meeting checked at the first scene"), null=True, blank=True)
    wrap_checked_at = models.DateTimeField(_("weapons checked at wrap"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("scheduled by")
    )
    created_at = models.DateTimeField(_("scheduled"))

    class Meta:
        verbose_name = _("shooting day")
        verbose_name_plural = _("shooting days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["production", "date"], name="shootingday_one_per_date"),
            models.CheckConstraint(
                condition=models.Q(wrap_at__gt=models.F("first_scene_at")), name="shootingday_wrap_after_first_scene"
            ),
        ]
        indexes = [
            models.Index(
                fields=["first_scene_at"],
                name="shootingday_meeting_due",
                condition=models.Q(firearms=True, meeting_checked_at__isnull=True),
            ),
            models.Index(
                fields=["wrap_at"], name="shootingday_wrap_due", condition=models.Q(wrap_checked_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return str(_("Shooting day %(date)s") % {"date": formats.date_format(self.date, "DATE_FORMAT")})

    def get_absolute_url(self) -> str:
        return reverse("day", args=[self.production_id, self.pk])

    @property
    def meeting_due_at(self) -> datetime:
        """When the sweeper looks for a firearms day's meeting (days_sweep): its first scene, or
        MEETING_GRACE after the day was scheduled, whichever is later."""
        return max(self.first_scene_at, self.created_at + MEETING_GRACE)

    @property
    def flags(self) -> list[str]:
        return [str(self._meta.get_field(name).verbose_name) for name in DAY_FLAGS if getattr(self, name)]


DAY_FLAGS = ("firearms", "stunts", "pyrotechnics", "vehicles")


class SafetyMeeting(models.Model):
    production = models.ForeignKey(
        Production, on_delete=models.PROTECT, related_name="safety_meetings", verbose_name=_("production")
    )
    day = models.OneToOneField(
        ShootingDay, on_delete=models.PROTECT, related_name="meeting", verbose_name=_("shooting day")
    )
    held_at = models.DateTimeField(_("held at"))
    led_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("led by")
    )
    topics = models.TextField(_("topics"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("safety meeting")
        verbose_name_plural = _("safety meetings")
        ordering = ["-held_at"]

    def __str__(self) -> str:
        return str(_("Safety meeting of %(date)s") % {"date": formats.date_format(self.day.date, "DATE_FORMAT")})


class MeetingAttendance(models.Model):
    """One person's own confirmation, from their phone, that they were at the day's safety meeting."""

    production = models.ForeignKey(
        Production, on_delete=models.PROTECT, related_name="meeting_attendance", verbose_name=_("production")
    )
    meeting = models.ForeignKey(
        SafetyMeeting, on_delete=models.PROTECT, related_name="attendance", verbose_name=_("safety meeting")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    confirmed_at = models.DateTimeField(_("confirmed"))

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["confirmed_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "person"], name="attendance_once_per_person")]

    def __str__(self) -> str:
        return f"{self.person} ({self.meeting})"


class TimeRequestKind(models.TextChoices):
    PREP = "prep", _("Prep")
    TRAINING = "training", _("Training")
    SECURING = "securing", _("Securing weapons")
    OTHER = "other", _("Other safety work")


class TimeRequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class TimeRequest(models.Model):
    """The armorer (or a department head) asks for time or resources for safety work; the UPM or a
    producer answers. Unanswered by `answer_by`, it becomes a report that escalates."""

    production = models.ForeignKey(
        Production, on_delete=models.PROTECT, related_name="time_requests", verbose_name=_("production")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    kind = models.CharField(_("for"), max_length=16, choices=TimeRequestKind.choices)
    what = models.CharField(_("time or resources"), max_length=200)
    reason = models.TextField(_("why"))
    needed_on = models.DateField(_("needed on"))
    requested_at = models.DateTimeField(_("requested"))
    answer_by = models.DateTimeField(_("answer by"))
    status = models.CharField(
        _("status"), max_length=16, choices=TimeRequestStatus.choices, default=TimeRequestStatus.PENDING
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    # Set once by the sweeper when the request went unanswered past `answer_by` and a report was filed.
    escalated_at = models.DateTimeField(_("reported unanswered"), null=True, blank=True)
    # The form's submission key: a double tap (or a resend after a lost answer) asks once (time_request_make).
    idempotency_key = models.UUIDField(_("submission key"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("time request")
        verbose_name_plural = _("time requests")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                name="timerequest_asked_once_per_key",
                condition=models.Q(idempotency_key__isnull=False),
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending", answered_at__isnull=True)
                | models.Q(status__in=["approved", "refused"], answered_at__isnull=False, answered_by__isnull=False),
                name="timerequest_answer_complete",
            ),
        ]
        indexes = [
            models.Index(
                fields=["answer_by"],
                name="timerequest_unanswered",
                condition=models.Q(status="pending", escalated_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return str(_("%(what)s for %(date)s") % {"what": self.what, "date": self.needed_on.isoformat()})

    def get_absolute_url(self) -> str:
        return reverse("time_request", args=[self.production_id, self.pk])
