"""Run records (the sweeper's heartbeat, weekly digests) and Django's own log of admin changes."""

from django.contrib import admin
from django.contrib.admin.models import DELETION, LogEntry
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_lookups import DeclaredLookupsOnly
from incidents import access
from incidents.admin_scope import ProductionScopedAdmin, ReadOnlyAdminMixin
from incidents.models import DigestRun, Heartbeat


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdminMixin, ProductionScopedAdmin):
    production_path = None  # machine-wide: superusers only
    list_display = ["name", "at", "detail"]
    search_fields = ["name"]


@admin.register(DigestRun)
class DigestRunAdmin(ReadOnlyAdminMixin, ProductionScopedAdmin):
    list_display = ["production", "week_start", "sent_at", "recipients"]
    list_filter = [("production", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["production__name"]
    date_hierarchy = "week_start"
    list_select_related = ["production"]


@admin.register(LogEntry)
class LogEntryAdmin(DeclaredLookupsOnly, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every change made through the admin, kept: nobody edits or removes an entry here.
    Superusers see all entries; other staff see their own."""

    list_display = ["action_time", "user", "action_flag", "content_type", "object_link", "message"]
    list_filter = ["action_flag", "content_type"]
    search_fields = ["object_repr", "change_message", "user__email"]
    date_hierarchy = "action_time"
    list_select_related = ["user", "content_type"]
    fields = ["action_time", "user", "action_flag", "content_type", "object_id", "object_repr", "message"]
    readonly_fields = ["message"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LogEntry]:
        entries = super().get_queryset(request)
        if access.admin_sees_all(request.user):
            return entries
        return entries.filter(user=request.user)

    @admin.display(description=_("object"))
    def object_link(self, obj: LogEntry) -> str:
        url = obj.get_admin_url() if obj.action_flag != DELETION else ""
        return format_html('<a href="{}">{}</a>', url, obj.object_repr) if url else obj.object_repr

    @admin.display(description=_("change"))
    def message(self, obj: LogEntry) -> str:
        return obj.get_change_message()
