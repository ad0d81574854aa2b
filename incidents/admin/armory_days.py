"""Shooting days, safety meetings, attendance and time requests in the admin, scoped to the production
admins like every other model (admin_scope). Days are added and changed through the days service, so
each change is on the production's armory trail with the admin user as its actor; meetings, attendance
and time requests are written on set and read-only here (an edit would be one the trail reports)."""

from datetime import time
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.admin_scope import ProductionScopedAdmin, ReadOnlyAdminMixin
from incidents.formatting import local_datetime
from incidents.models import MeetingAttendance, SafetyMeeting, ShootingDay, TimeRequest
from incidents.services.armory import days
from incidents.services.armory.days import DayPlan

PLAN_FIELDS = ["production", "date", "scenes", "first_scene", "wrap", "firearms", "stunts", "pyrotechnics", "vehicles"]


class ShootingDayAdminForm(forms.ModelForm):
    first_scene = forms.TimeField(label=_("First scene at"), help_text=_("In the production's time zone."))
    wrap = forms.TimeField(
        label=_("Wrap at"), help_text=_("Earlier than the first scene means the next morning (a night shoot).")
    )

    class Meta:
        model = ShootingDay
        fields = ["production", "date", "scenes", "firearms", "stunts", "pyrotechnics", "vehicles"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        day = self.instance
        if day.pk:
            tz = day.production.tzinfo
            self.initial["first_scene"] = timezone.localtime(day.first_scene_at, tz).time()
            self.initial["wrap"] = timezone.localtime(day.wrap_at, tz).time()

    def plan(self) -> DayPlan:
        data = self.cleaned_data
        return DayPlan(
            date=data["date"],
            scenes=data["scenes"],
            first_scene=data["first_scene"] or time(0, 0),
            wrap=data["wrap"] or time(0, 0),
            firearms=data["firearms"],
            stunts=data["stunts"],
            pyrotechnics=data["pyrotechnics"],
            vehicles=data["vehicles"],
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        production = cleaned.get("production") or (self.instance.production if self.instance.pk else None)
        needed = ("date", "scenes", "first_scene", "wrap")
        if production is not None and all(cleaned.get(name) is not None for name in needed):
            try:
                days.day_plan_check(
                    production=production, plan=self.plan(), day_id=self.instance.pk if self.instance.pk else None
                )
            except ValidationError as exc:
                self.add_error(exc.code if exc.code in ("date", "scenes") else None, exc)
        return cleaned


@admin.register(ShootingDay)
class ShootingDayAdmin(ProductionScopedAdmin):
    form = ShootingDayAdminForm
    list_display = ["date", "scenes", "firearms", "stunts", "pyrotechnics", "vehicles", "first_scene", "production"]
    list_filter = ["firearms", "stunts", "pyrotechnics", "vehicles", ("production", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["scenes"]
    date_hierarchy = "date"
    list_select_related = ["production"]

    def get_fields(self, request: HttpRequest, obj: ShootingDay | None = None) -> list[str]:
        return PLAN_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: ShootingDay | None = None) -> list[str]:
        return ["production"] if obj is not None else []

    def get_queryset(self, request: HttpRequest) -> QuerySet[ShootingDay]:
        return super().get_queryset(request).select_related("production")

    def has_delete_permission(self, request: HttpRequest, obj: ShootingDay | None = None) -> bool:
        return False  # a day on the trail stays; change it instead

    def save_model(self, request: HttpRequest, obj: ShootingDay, form: forms.ModelForm, change: bool) -> None:
        plan = form.plan()
        if not change:
            obj.pk = days.day_schedule(production=form.cleaned_data["production"], user=request.user, plan=plan).pk
            return
        days.day_change(day_id=obj.pk, user=request.user, plan=plan)

    @admin.display(description=_("first scene"), ordering="first_scene_at")
    def first_scene(self, obj: ShootingDay) -> str:
        return local_datetime(obj.first_scene_at, obj.production)


@admin.register(SafetyMeeting)
class SafetyMeetingAdmin(ReadOnlyAdminMixin, ProductionScopedAdmin):
    list_display = ["day", "held", "led_by", "production"]
    list_filter = [("production", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["topics"]
    list_select_related = ["day", "led_by", "production"]

    @admin.display(description=_("held at"), ordering="held_at")
    def held(self, obj: SafetyMeeting) -> str:
        return local_datetime(obj.held_at, obj.production)


@admin.register(MeetingAttendance)
class MeetingAttendanceAdmin(ReadOnlyAdminMixin, ProductionScopedAdmin):
    list_display = ["person", "meeting", "confirmed", "production"]
    list_filter = [("production", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["person", "meeting__day", "production"]

    @admin.display(description=_("confirmed"), ordering="confirmed_at")
    def confirmed(self, obj: MeetingAttendance) -> str:
        return local_datetime(obj.confirmed_at, obj.production)


@admin.register(TimeRequest)
class TimeRequestAdmin(ReadOnlyAdminMixin, ProductionScopedAdmin):
    list_display = ["what", "kind", "requested_by", "needed_on", "status", "answered_by", "production"]
    list_filter = ["status", "kind", ("production", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["what", "reason", "answer"]
    list_select_related = ["requested_by", "answered_by", "production"]
