"""Reports in the admin: read-only evidence, with the trail and the outbox inline, and three actions.

Nothing on a report is editable here. A report is evidence, and every change to one goes through a
service that writes its event (acknowledge, resolve, reopen, lift on the report page; escalate and
resend here, as actions). A form that saved the row would change what handlers saw without a trail
entry, and could overwrite a concurrent acknowledgement with stale values.
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from incidents import access
from incidents.admin_scope import ProductionScopedAdmin, ReadOnlyAdminMixin, current_viewer, render_as
from incidents.formatting import local_datetime, local_stamp
from incidents.models import CorrectiveAction, Event, Notification, Report
from incidents.services.admin_actions import failed_notification_ids
from incidents.services.escalation import Outcome, report_escalate
from incidents.trail import verify_trail
from safetrack.ids import id_from

from .export import reports_csv_response
from .labels import event_details
from .resend import resend_failed

FAILURES_FIRST = Case(
    When(status=Notification.Status.FAILED, then=Value(0)),
    When(status=Notification.Status.PENDING, then=Value(1)),
    When(status=Notification.Status.SENDING, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


SHORT_HASH = 12


class EventInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The trail, as it was written: nobody adds, changes or removes an event, superusers included."""

    model = Event
    extra = 0
    can_delete = False
    fields = ["seq", "kind", "who", "when", "details", "public", "short_hash"]
    readonly_fields = fields
    verbose_name_plural = _("trail (append-only)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return super().get_queryset(request).select_related("actor", "report__production").order_by("seq")

    @admin.display(description=_("who"))
    def who(self, obj: Event) -> str:
        return access.event_actor_label(obj, obj.report, current_viewer())

    @admin.display(description=_("when"))
    def when(self, obj: Event) -> str:
        # Compact and on one line (the long localised date took six lines in a narrow column).
        return local_stamp(obj.created_at, obj.report.production)

    @admin.display(description=_("details"))
    def details(self, obj: Event) -> str:
        return event_details(obj, current_viewer())

    @admin.display(description=_("hash"))
    def short_hash(self, obj: Event) -> str:
        """The first characters, enough to tell events apart; the whole hash on hover and, opened, to copy."""
        return format_html(
            '<details class="trail-hash"><summary title="{}">{}</summary><code>{}</code></details>',
            obj.hash,
            obj.hash[:SHORT_HASH],
            obj.hash,
        )


class NotificationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Notification
    extra = 0
    can_delete = False
    fields = ["level", "recipient_shown", "channel", "status", "attempts", "last_error", "sent_at"]
    readonly_fields = fields
    verbose_name_plural = _("notifications (failures first)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notification]:
        return (
            super()
            .get_queryset(request)
            .select_related("recipient", "report")
            .annotate(failures_first=FAILURES_FIRST)
            .order_by("failures_first", "-created_at", "-pk")
        )

    @admin.display(description=_("recipient"))
    def recipient_shown(self, obj: Notification) -> str:
        if obj.recipient_id is None:
            return str(_("Production webhook"))
        return access.person_label(obj.recipient, obj.report, current_viewer())


class CorrectiveActionInline(ReadOnlyAdminMixin, admin.TabularInline):
    """A report's corrective actions, read-only: they change on their pages, each change an event."""

    model = CorrectiveAction
    extra = 0
    can_delete = False
    fields = ["number", "what", "owner_shown", "due_on", "status", "done_note", "verified_shown", "sent_back_count"]
    readonly_fields = fields
    verbose_name_plural = _("corrective actions")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CorrectiveAction]:
        return super().get_queryset(request).select_related("owner", "verified_by", "report").order_by("number")

    @admin.display(description=_("owner"))
    def owner_shown(self, obj: CorrectiveAction) -> str:
        return access.person_label(obj.owner, obj.report, current_viewer())

    @admin.display(description=_("verified by"))
    def verified_shown(self, obj: CorrectiveAction) -> str:
        if obj.verified_by_id is None:
            return ""
        when = local_stamp(obj.verified_at, obj.report.production)
        return f"{access.person_label(obj.verified_by, obj.report, current_viewer())} ({when})"


@admin.register(Report)
class ReportAdmin(ProductionScopedAdmin):
    list_display = [
        "number",
        "title",
        "production",
        "category",
        "severity",
        "status",
        "escalation_level",
        "deadline",
        "reporter_shown",
        "identity",
        "filed",
    ]
    list_display_links = ["number", "title"]
    list_filter = [
        "status",
        "severity",
        "category",
        "identity",
        ("production", admin.RelatedOnlyFieldListFilter),
        "injuries",
        "ammunition",
    ]
    # Never the reporter's name or email: a search would tell who filed a confidential report.
    search_fields = ["title", "description", "location", "production__name"]
    date_hierarchy = "created_at"
    list_select_related = ["production", "reporter"]
    list_per_page = 50
    inlines = [CorrectiveActionInline, NotificationInline, EventInline]
    actions = ["escalate_now", "resend_failed_notifications", "export_csv"]
    readonly_fields = [
        "title",
        "production",
        "category",
        "severity",
        "status",
        "escalation_level",
        "next_escalation_at",
        "reminder_count",
        "unanswered_at_top_at",
        "reporter_shown",
        "identity",
        "show_department",
        "revealed_at",
        "description",
        "occurred_at",
        "location",
        "department",
        "injuries",
        "injury_description",
        "witnesses",
        "weapon",
        "ammunition",
        "armorer_present",
        "acknowledged_by_shown",
        "acknowledged_at",
        "resolved_by_shown",
        "resolved_at",
        "resolution",
        "reopen_count",
        "lifted_at",
        "lifted_by_shown",
        "clearance_note",
        "earlier_reports",
        "warned_whom",
        "warned_on",
        "warned_how",
        "repeat_of",
        "created_at",
        "trail_check",
        "site_link",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "site_link",
                    "title",
                    "production",
                    ("category", "severity"),
                    ("status", "escalation_level", "next_escalation_at"),
                    ("reminder_count", "unanswered_at_top_at"),
                    ("reporter_shown", "identity", "show_department", "revealed_at"),
                    "created_at",
                ]
            },
        ),
        (
            _("What happened"),
            {
                "fields": [
                    "description",
                    "occurred_at",
                    ("location", "department"),
                    ("injuries", "injury_description"),
                    "witnesses",
                ]
            },
        ),
        (_("Firearm"), {"fields": [("weapon", "ammunition", "armorer_present")]}),
        (
            _("Handling"),
            {
                "fields": [
                    ("acknowledged_by_shown", "acknowledged_at"),
                    ("resolved_by_shown", "resolved_at"),
                    "resolution",
                    "reopen_count",
                ]
            },
        ),
        (_("Stop-work"), {"fields": [("lifted_at", "lifted_by_shown"), "clearance_note"]}),
        (
            _("Warnings and repeats"),
            {"fields": ["earlier_reports", ("warned_whom", "warned_on"), "warned_how", "repeat_of"]},
        ),
        (_("Trail"), {"fields": ["trail_check"]}),
    ]

    # --- permissions: read-only evidence; the actions have their own checks ------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reports are filed by crew, through the app

    def has_change_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return False

    def _may_act(self, request: HttpRequest) -> bool:
        return request.user.has_perm("incidents.change_report") and self.in_scope(request, None)

    def has_escalate_permission(self, request: HttpRequest) -> bool:
        return self._may_act(request)

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return self._may_act(request) and request.user.has_perm("incidents.change_notification")

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return super().get_queryset(request).select_related("production", "reporter")

    class Media:
        css = {"all": ["css/admin.css"]}

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_escalate": self.has_escalate_permission(request),
            "can_resend": self.has_resend_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- columns and read-only fields --------------------------------------------------------------

    @admin.display(description="#", ordering="pk")
    def number(self, obj: Report) -> int:
        return obj.pk

    @admin.display(description=_("reporter"))
    def reporter_shown(self, obj: Report) -> str:
        return access.reporter_label(obj, current_viewer())

    # Who handled it, never by name when that person is the report's hidden reporter.
    @admin.display(description=_("acknowledged by"))
    def acknowledged_by_shown(self, obj: Report) -> str:
        return access.person_label(obj.acknowledged_by, obj, current_viewer()) or "-"

    @admin.display(description=_("resolved by"))
    def resolved_by_shown(self, obj: Report) -> str:
        return access.person_label(obj.resolved_by, obj, current_viewer()) or "-"

    @admin.display(description=_("lifted by"))
    def lifted_by_shown(self, obj: Report) -> str:
        return access.person_label(obj.lifted_by, obj, current_viewer()) or "-"

    @admin.display(description=_("escalates at"), ordering="next_escalation_at")
    def deadline(self, obj: Report) -> str:
        return local_datetime(obj.next_escalation_at, obj.production) or "-"

    @admin.display(description=_("filed"), ordering="created_at")
    def filed(self, obj: Report) -> str:
        return local_datetime(obj.created_at, obj.production)

    @admin.display(description=_("trail"))
    def trail_check(self, obj: Report) -> str:
        check = verify_trail(obj)
        if check.intact:
            return ngettext(
                "Intact: %(count)s event.", "Intact: %(count)s events, each chained to the one before.", check.events
            ) % {"count": check.events}
        return _("BROKEN at event %(seq)s: %(reason)s") % {"seq": check.broken_seq, "reason": check.reason}

    @admin.display(description=_("on the site"))
    def site_link(self, obj: Report) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("Open the report page"))

    # --- actions -----------------------------------------------------------------------------------

    @admin.action(description=_("Escalate now to the next level"), permissions=["escalate"])
    def escalate_now(self, request: HttpRequest, queryset: QuerySet[Report]) -> HttpResponse | None:
        reports = list(queryset.order_by("pk"))
        if request.POST.get("post") != "yes":
            return self._escalate_confirmation(request, reports)
        escalated, stale = [], []
        for report in reports:
            expected = id_from(request.POST.get(f"level_{report.pk}", ""))
            if expected is None:
                stale.append(report)
                continue
            outcome = report_escalate(report_id=report.pk, expected_level=expected, actor=request.user, force=True)
            if outcome is Outcome.ESCALATED:
                escalated.append(report)
                self.log_change(request, report, str(_("Escalated now from level %(level)s") % {"level": expected}))
            else:
                stale.append(report)
        if escalated:
            self.message_user(
                request,
                ngettext(
                    "%(count)d report escalated to its next level; the next level is being notified.",
                    "%(count)d reports escalated to their next level; the next levels are being notified.",
                    len(escalated),
                )
                % {"count": len(escalated)},
                messages.SUCCESS,
            )
        if stale:
            self.message_user(
                request,
                _("Not escalated (resolved, or moved on since you looked): %(reports)s")
                % {"reports": ", ".join(f"#{r.pk}" for r in stale)},
                messages.WARNING,
            )
        return None

    def _escalate_confirmation(self, request: HttpRequest, reports: list[Report]) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": _("Escalate now?"),
            "opts": self.model._meta,
            "reports": reports,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "escalate_now",
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        response = TemplateResponse(request, "admin/incidents/report/escalate_confirmation.html", context)
        return render_as(response, request.user)

    @admin.action(description=_("Resend failed notifications"), permissions=["resend"])
    def resend_failed_notifications(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        ids = failed_notification_ids(report_ids=queryset.values_list("pk", flat=True))
        if not resend_failed(self, request, ids):
            self.message_user(request, _("None of the selected reports has a failed notification."), messages.INFO)

    @admin.action(description=_("Export as CSV"), permissions=["export"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Report]) -> HttpResponse:
        return reports_csv_response(queryset.select_related("production", "reporter", "acknowledged_by"), request.user)
