"""Shooting days, safety meetings, attendance and time requests in the admin: read-only, scoped to the
production admins like every other model (admin_scope). They are written on set through the services
(incidents.services.armory.days and .time_requests) and sealed on the armory trail; an edit here would
be one the trail reports."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from incidents.admin_scope import ProductionScopedAdmin, ReadOnlyAdminMixin
from incidents.formatting import local_datetime
from incidents.models import MeetingAttendance, SafetyMeeting, ShootingDay, TimeRequest


@admin.register(ShootingDay)
class ShootingDayAdmin(ReadOnlyAdminMixin, ProductionScopedAdmin):
    list_display = ["date", "scenes", "firearms", "stunts", "pyrotechnics", "vehicles", "first_scene", "production"]
    list_filter = ["firearms", "stunts", "pyrotechnics", "vehicles", ("production", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["scenes"]
    date_hierarchy = "date"
    list_select_related = ["production"]

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
