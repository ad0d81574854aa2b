"""People, productions and memberships in the admin, scoped to the productions a staff user administers.

Superusers see and edit everything. Staff listed in a production's "admin staff" see only those
productions, their members and what hangs off them, and change no user accounts (a user can belong to
several productions; only a superuser changes who someone is or what they may do).

The models are accounts' (their admin URLs stay /admin/accounts/...), but scoping them needs
incidents' access rules and the production's ladder, so their admin lives here: accounts imports
nothing from incidents.
"""

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Count, Exists, Model, OuterRef, QuerySet
from django.forms import Field
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.admin_lookups import DeclaredLookupsOnly
from accounts.models import Membership, Production, User
from accounts.services import production_regenerate_join_code
from incidents import access
from incidents.admin.policy import EscalationLevelInline, levels_warning_html
from incidents.admin_scope import ProductionScopedAdmin, ScopedChoicesMixin
from incidents.formatting import local_datetime, local_stamp
from incidents.models import Report
from incidents.notifications import sms
from incidents.services.policy import policy_create_default

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DeclaredLookupsOnly, DjangoGroupAdmin):
    """Django's group page, with the query-string lookups limited like every other list page."""


def _declared_lookups_only(model: type[Model]) -> None:
    """Re-register a third-party admin (django-axes' login records) with the lookups limited."""
    if not admin.site.is_registered(model):
        return
    original = type(admin.site.get_model_admin(model))
    admin.site.unregister(model)
    admin.site.register(model, type(original.__name__, (DeclaredLookupsOnly, original), {}))


for _model in (AccessAttempt, AccessLog, AccessFailureLog):
    _declared_lookups_only(_model)


@admin.register(User)
class UserAdmin(DeclaredLookupsOnly, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "language", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "language"]
    search_fields = ["email", "full_name"]
    date_hierarchy = "date_joined"
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "language"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        users = super().get_queryset(request)
        if access.admin_sees_all(request.user):
            return users
        return users.filter(pk__in=access.admin_users(request.user).values("pk"))

    # Accounts span productions: only superusers create, change or remove them.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.admin_sees_all(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return access.admin_sees_all(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Nobody: deleting an account would take its admin log entries with it (and anyone named on a
        # report's trail is protected anyway). Deactivate the account instead.
        return False


class MemberEmailField(forms.ModelChoiceField):
    """A member picked by email (typed, not a list of every user). An existing row's person is fixed."""

    def __init__(self, queryset: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(queryset, to_field_name="email", widget=forms.EmailInput, **kwargs)
        self.error_messages["invalid_choice"] = _(
            "No account with this email that you can add here: the person signs up and joins with the "
            "production's join code first."
        )
        self.known: User | None = None

    def clean(self, value: Any) -> Any:
        if self.disabled and self.known is not None:
            return self.known  # no query per existing member when the production page is saved
        return super().clean(value.strip().lower() if isinstance(value, str) else value)


class MembershipInlineForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "role", "department"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = MemberEmailField(self.fields["user"].queryset, label=_("email"))
        if self.instance.pk:
            field.disabled = True
            field.known = self.instance.user
            self.initial["user"] = self.instance.user.email
        self.fields["user"] = field


class MembershipInline(ScopedChoicesMixin, admin.TabularInline):
    model = Membership
    form = MembershipInlineForm
    extra = 1
    # No separate name column: each row's title (Membership.__str__) names the person, and the table
    # must fit the admin's content box at 1280 px.
    fields = ["user", "role", "department", "joined"]
    readonly_fields = ["joined"]
    verbose_name_plural = _("members (add someone by the email they signed up with)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        # The production too: each row's title (Membership.__str__) names it.
        return (
            super()
            .get_queryset(request)
            .select_related("user", "production")
            .order_by("user__full_name", "user__email")
        )

    @admin.display(description=_("joined"))
    def joined(self, obj: Membership) -> str:
        return local_stamp(obj.joined_at, obj.production) if obj.pk else ""


@admin.register(Production)
class ProductionAdmin(ProductionScopedAdmin):
    production_path = ""
    ordering = ["name"]
    list_display = ["name", "status", "stop_work", "members", "timezone", "join_code", "created_at"]
    list_filter = ["status", "timezone"]
    search_fields = ["name", "join_code"]
    date_hierarchy = "created_at"
    filter_horizontal = ["admins"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["regenerate_join_code"]
    fieldsets = [
        (None, {"fields": ["name", "status", "timezone", "webhook_url"]}),
        (_("Joining"), {"fields": ["join_code", "poster_link"]}),
        (_("Stop-work"), {"fields": ["stop_work_state"]}),
        (_("Text messages (SMS)"), {"fields": ["sms_monthly_cap", "sms_sent"]}),
        (_("Escalation"), {"fields": ["policy_link", "levels_warning"]}),
        (_("Admin staff"), {"fields": ["admins"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Production]:
        stop_work = Report.objects.active_stop_work().filter(production=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .select_related("policy")
            .annotate(member_count=Count("memberships", distinct=True), stopped=Exists(stop_work))
        )

    def get_inlines(self, request: HttpRequest, obj: Production | None) -> list[type]:
        # A new production gets the default ladder on save; its levels are edited from then on.
        return [MembershipInline] if obj is None else [MembershipInline, EscalationLevelInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Production | None = None) -> list[str]:
        readonly = ["join_code", "poster_link", "stop_work_state", "policy_link", "levels_warning", "sms_sent"]
        if not access.admin_sees_all(request.user):
            readonly.append("admins")  # who administers a production is a superuser's decision
        return readonly

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Field:
        if db_field.name == "admins":
            kwargs["queryset"] = User.objects.filter(is_staff=True, is_active=True).order_by("email")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Production, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            policy_create_default(production=obj)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not change and not access.admin_sees_all(request.user):
            form.instance.admins.add(request.user)  # a staff user who may create productions keeps them

    # --- columns and read-only fields --------------------------------------------------------------

    @admin.display(description=_("members"), ordering="member_count")
    def members(self, obj: Production) -> int:
        return obj.member_count

    @admin.display(description=_("stop-work"), boolean=True, ordering="stopped")
    def stop_work(self, obj: Production) -> bool:
        return obj.stopped

    @admin.display(description=_("QR poster"))
    def poster_link(self, obj: Production) -> str:
        if obj.pk is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("production_poster", args=[obj.pk]), _("Open the QR poster to print")
        )

    @admin.display(description=_("state"))
    def stop_work_state(self, obj: Production) -> str:
        if obj.pk is None:
            return "-"
        calls = list(Report.objects.active_stop_work().filter(production=obj).order_by("created_at"))
        if not calls:
            return _("Working: no stop-work call in force.")
        return format_html_join(
            "\n",
            '<p><strong>{}</strong> {} <a href="{}">#{} {}</a></p>',
            (
                (
                    _("STOPPED since %(when)s by %(who)s:")
                    % {"when": local_datetime(call.created_at, obj), "who": access.reporter_label(call)},
                    call.title,
                    reverse("admin:incidents_report_change", args=[call.pk]),
                    call.pk,
                    _("open the call"),
                )
                for call in calls
            ),
        )

    @admin.display(description=_("sent this month"))
    def sms_sent(self, obj: Production) -> str:
        if obj.pk is None:
            return "-"
        return _("%(sent)s of %(cap)s text messages sent this month (%(month)s, the production's time zone).") % {
            "sent": sms.sent_this_month(obj),
            "cap": obj.sms_monthly_cap,
            "month": sms.month_of(obj).strftime("%Y-%m"),
        }

    @admin.display(description=_("escalation policy"))
    def policy_link(self, obj: Production) -> str:
        policy = getattr(obj, "policy", None) if obj.pk else None
        if policy is None:
            return _("Created when the production is saved.")
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:incidents_escalationpolicy_change", args=[policy.pk]),
            _("Resolution deadlines and the repeat-incident rule"),
        )

    @admin.display(description=_("levels that reach nobody"))
    def levels_warning(self, obj: Production) -> str:
        return levels_warning_html(obj.pk) if obj.pk is not None else "-"

    # --- actions -----------------------------------------------------------------------------------

    @admin.action(
        description=_("Regenerate the join code (the old code and poster stop working)"), permissions=["change"]
    )
    def regenerate_join_code(self, request: HttpRequest, queryset: QuerySet[Production]) -> None:
        for production in queryset:
            old = production.join_code
            new = production_regenerate_join_code(production=production)
            self.log_change(request, production, str(_("Regenerated the join code (was %(old)s)") % {"old": old}))
            self.message_user(
                request,
                _("New join code for %(production)s: %(code)s. Print the new QR poster; the old one no longer works.")
                % {"production": production, "code": new},
                messages.SUCCESS,
            )


@admin.register(Membership)
class MembershipAdmin(ProductionScopedAdmin):
    list_display = ["user", "production", "role", "department", "joined_at"]
    list_filter = ["role", "department", ("production", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__email", "user__full_name", "production__name"]
    autocomplete_fields = ["user", "production"]
    list_select_related = ["user", "production"]
    date_hierarchy = "joined_at"
