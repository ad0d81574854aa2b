"""The trail, the outbox and the attachments in the admin: read-only records, scoped to productions."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from incidents import access
from incidents.admin_scope import ProductionScopedAdmin, ReadOnlyAdminMixin, current_viewer, scope_queryset
from incidents.formatting import local_datetime
from incidents.models import Attachment, Event, EventKind, Notification

from .labels import event_details
from .reports import FAILURES_FIRST
from .resend import resend_failed


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, ProductionScopedAdmin):
    """Append-only: no add, change or delete, superusers included (the model and the database refuse too)."""

    production_path = "report__production"
    list_display = ["report", "seq", "kind", "who", "when", "public"]
    list_filter = ["kind", "public", ("report__production", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["report__title"]
    date_hierarchy = "created_at"
    list_select_related = ["report__production", "actor"]
    # Never the raw actor or payload: the reporter of a confidential report is the actor of its filing.
    fields = ["report", "seq", "kind", "who", "when", "details", "public", "prev_hash", "hash"]
    readonly_fields = ["who", "when", "details"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return super().get_queryset(request).select_related("report__production", "actor")

    @admin.display(description=_("who"))
    def who(self, obj: Event) -> str:
        return access.event_actor_label(obj, obj.report, current_viewer())

    @admin.display(description=_("when"), ordering="created_at")
    def when(self, obj: Event) -> str:
        return local_datetime(obj.created_at, obj.report.production)

    @admin.display(description=_("details"))
    def details(self, obj: Event) -> str:
        # One event's page: a delivery names who it reached (one query; the lists leave it out).
        delivered = Notification.objects.filter(pk=(obj.payload or {}).get("notification")).select_related("recipient")
        return event_details(obj, current_viewer(), delivered.first() if obj.kind == EventKind.NOTIFIED else None)


@admin.register(Notification)
class NotificationAdmin(ProductionScopedAdmin):
    """The outbox, failures first. Rows change only through delivery (and the retry action)."""

    production_path = "report__production"
    list_display = [
        "status",
        "channel",
        "recipient_shown",
        "report",
        "level",
        "attempts",
        "error",
        "created",
        "next_attempt_at",
    ]
    list_filter = ["status", "channel", ("report__production", admin.RelatedOnlyFieldListFilter), "level"]
    # Not the recipient: a search by name would tell which confidential reports a person filed.
    search_fields = ["report__title", "last_error"]
    date_hierarchy = "created_at"
    list_select_related = ["report__production", "recipient"]
    actions = ["retry"]
    fields = [
        "report",
        "event",
        "level",
        "recipient_shown",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "last_error",
        "created_at",
        "sent_at",
        "read_at",
        "ack_link_used_at",
    ]
    readonly_fields = ["recipient_shown"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notification]:
        # The annotation must exist before ModelAdmin orders by it, so this does not start from super().
        notifications = Notification.objects.annotate(failures_first=FAILURES_FIRST).order_by(
            *self.get_ordering(request)
        )
        return scope_queryset(request, notifications, self.production_path)

    def get_ordering(self, request: HttpRequest) -> list[str]:
        return ["failures_first", "-created_at", "-pk"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("incidents.change_notification") and self.in_scope(request, None)

    @admin.display(description=_("recipient"))
    def recipient_shown(self, obj: Notification) -> str:
        if obj.recipient_id is None:
            return str(_("Production webhook"))
        return access.person_label(obj.recipient, obj.report, current_viewer())

    @admin.display(description=_("last error"))
    def error(self, obj: Notification) -> str:
        return Truncator(obj.last_error).chars(120)

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, obj: Notification) -> str:
        return local_datetime(obj.created_at, obj.report.production)

    @admin.action(description=_("Retry the failed ones among the selected notifications"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        selected = list(queryset.values_list("pk", flat=True))
        resent = resend_failed(self, request, selected)
        if resent < len(selected):
            self.message_user(
                request,
                _("%(count)d selected notifications had not failed and were left alone.")
                % {"count": len(selected) - resent},
                messages.INFO,
            )


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdminMixin, ProductionScopedAdmin):
    """Evidence: never changed or removed here. Files open through the access-checked download view."""

    production_path = "report__production"
    list_display = ["original_name", "report", "content_type", "size", "uploaded_at", "download"]
    list_filter = ["content_type", ("report__production", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["original_name", "report__title", "sha256"]
    date_hierarchy = "uploaded_at"
    list_select_related = ["report__production"]
    fields = ["report", "original_name", "content_type", "size", "sha256", "uploaded_at", "download"]
    readonly_fields = ["download"]

    @admin.display(description=_("file"))
    def download(self, obj: Attachment) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), pgettext_lazy("open a file", "Open"))
