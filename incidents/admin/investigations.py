"""Investigations in the admin: read-only (they are written on the site, by the handlers who may act on
the report, and every change is on its trail), with their witness statements; scoped to productions."""

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from incidents import access
from incidents.admin_scope import ProductionScopedAdmin, ReadOnlyAdminMixin, current_viewer
from incidents.formatting import local_datetime
from incidents.models import Investigation, Report, WitnessStatement


def _opens_on_site(report: Report) -> bool:
    """Whether the admin's viewer may open the investigation on the site (its handlers and superusers do;
    production admins read it here only)."""
    viewer = current_viewer()
    return viewer is not None and access.is_report_handler(viewer, report)


class StatementInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WitnessStatement
    extra = 0
    can_delete = False
    fields = ["witness", "download", "content_type", "size", "sha256", "added"]
    readonly_fields = fields

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        # Statements are part of the investigation: whoever may view it (in scope) sees them.
        return request.user.has_perm("incidents.view_investigation")

    @admin.display(description=_("file"))
    def download(self, obj: WitnessStatement) -> str:
        # The file is served on the site to those who may read the investigation there (handlers, superusers).
        if not _opens_on_site(obj.investigation.report):
            return obj.original_name
        return format_html('<a href="{}" download>{}</a>', obj.get_absolute_url(), obj.original_name)

    @admin.display(description=_("added"))
    def added(self, obj: WitnessStatement) -> str:
        who = access.person_label(obj.added_by, obj.investigation.report, current_viewer())
        return f"{local_datetime(obj.added_at, obj.investigation.report.production)} · {who}"


@admin.register(Investigation)
class InvestigationAdmin(ReadOnlyAdminMixin, ProductionScopedAdmin):
    production_path = "report__production"
    list_display = ["report", "production", "root_cause_short", "statement_count", "last_changed"]
    list_filter = [("report__production", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["report__title"]
    list_select_related = ["report__production", "updated_by"]
    fields = [
        "report",
        "what_happened",
        "why_chain",
        "factors_shown",
        "linked",
        "opened",
        "last_changed",
        "version",
        "record",
    ]
    readonly_fields = fields
    inlines = [StatementInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Investigation]:
        return super().get_queryset(request).select_related("report__production", "opened_by", "updated_by")

    @admin.display(description=_("production"), ordering="report__production__name")
    def production(self, obj: Investigation) -> str:
        return obj.report.production.name

    @admin.display(description=_("root cause"))
    def root_cause_short(self, obj: Investigation) -> str:
        return Truncator(obj.root_cause).chars(80)

    @admin.display(description=_("witness statements"))
    def statement_count(self, obj: Investigation) -> int:
        return obj.statements.count()

    @admin.display(description=_("why chain"))
    def why_chain(self, obj: Investigation) -> str:
        if not obj.whys:
            return "—"
        return format_html("<ol>{}</ol>", format_html_join("", "<li>{}</li>", ((why,) for why in obj.whys)))

    @admin.display(description=_("contributing factors"))
    def factors_shown(self, obj: Investigation) -> str:
        return ", ".join(obj.factor_labels()) or "—"

    @admin.display(description=_("linked reports"))
    def linked(self, obj: Investigation) -> str:
        return ", ".join(f"#{r.pk} {r.title}" for r in obj.linked_reports.order_by("pk")) or "—"

    @admin.display(description=_("opened"))
    def opened(self, obj: Investigation) -> str:
        who = access.person_label(obj.opened_by, obj.report, current_viewer())
        return f"{local_datetime(obj.opened_at, obj.report.production)} · {who}"

    @admin.display(description=_("last changed"), ordering="updated_at")
    def last_changed(self, obj: Investigation) -> str:
        who = access.person_label(obj.updated_by, obj.report, current_viewer())
        return f"{local_datetime(obj.updated_at, obj.report.production)} · {who}"

    @admin.display(description=_("on the site"))
    def record(self, obj: Investigation) -> str:
        if not _opens_on_site(obj.report):
            return "—"
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("Open it on the site"))
