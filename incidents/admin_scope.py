"""Production-scoped admin: what a staff user who administers some productions may see, pick and change.

Superusers see everything. A staff user listed in `Production.admins` sees only those productions and
what hangs off them: querysets, foreign-key and many-to-many choices, autocomplete results (Django's
autocomplete asks the related model's admin for its queryset, so scoping `get_queryset` covers it) and
inlines. The decisions themselves are made in `incidents.access`; this module only applies them.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.forms import Field
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from accounts.admin_lookups import DeclaredLookupsOnly
from accounts.models import Membership, Production, User
from incidents import access
from incidents.models import (
    AmmoLot,
    ArmoryEvent,
    ArmoryGap,
    Attachment,
    CustodyRecord,
    DigestRun,
    EscalationLevel,
    EscalationPolicy,
    Event,
    Investigation,
    MeetingAttendance,
    Notification,
    Report,
    SafetyMeeting,
    ShootingDay,
    TimeRequest,
    Weapon,
    WitnessStatement,
)

# How each model reaches its production, for choices in forms and for `production_id_of`.
SCOPE_PATHS: dict[type[models.Model], str] = {
    Production: "",
    Membership: "production",
    EscalationPolicy: "production",
    EscalationLevel: "policy__production",
    Report: "production",
    Event: "report__production",
    Notification: "report__production",
    Attachment: "report__production",
    DigestRun: "production",
    Weapon: "production",
    AmmoLot: "production",
    ArmoryEvent: "production",
    ArmoryGap: "production",
    CustodyRecord: "production",
    Investigation: "report__production",
    WitnessStatement: "investigation__report__production",
    ShootingDay: "production",
    SafetyMeeting: "production",
    MeetingAttendance: "production",
    TimeRequest: "production",
}


def production_id_of(obj: models.Model, path: str) -> int | None:
    """Follow `path` ("", "production", "report__production", ...) from obj to a production id."""
    if path == "":
        return obj.pk
    *hops, last = path.split("__")
    target: Any = obj
    for hop in hops:
        target = getattr(target, hop, None)
        if target is None:
            return None
    return getattr(target, f"{last}_id", None)


def scope_queryset(request: HttpRequest, queryset: QuerySet, path: str | None) -> QuerySet:
    """Limit a queryset to the productions the user administers. `path=None`: global rows, superusers only."""
    if access.admin_sees_all(request.user):
        return queryset
    if path is None:
        return queryset.none()
    lookup = "pk__in" if path == "" else f"{path}__in"
    return queryset.filter(**{lookup: access.admin_production_ids(request.user)})


class ScopedChoicesMixin:
    """Foreign-key and many-to-many choices limited to the user's productions and their people."""

    def formfield_for_foreignkey(self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any) -> Field:
        self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: models.ManyToManyField, request: HttpRequest, **kwargs: Any) -> Field:
        self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]

    def _scope_choices(self, db_field: models.Field, request: HttpRequest, kwargs: dict[str, Any]) -> None:
        related = db_field.remote_field.model
        if related is Production:
            kwargs["queryset"] = kwargs.get("queryset", Production.objects.all()) & access.admin_productions(
                request.user
            )
        elif related is User:
            kwargs["queryset"] = kwargs.get("queryset", User.objects.all()) & access.admin_users(request.user)
        elif related in SCOPE_PATHS:
            queryset = kwargs.get("queryset", related._default_manager.all())
            kwargs["queryset"] = scope_queryset(request, queryset, SCOPE_PATHS[related])


class ProductionScopedAdmin(DeclaredLookupsOnly, ScopedChoicesMixin, admin.ModelAdmin):
    """A ModelAdmin whose rows belong to a production through `production_path`.

    `production_path` is the lookup from the model to its production: "" for Production itself,
    "production", "report__production", ...; None for global rows only superusers may see.
    """

    production_path: str | None = "production"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope_queryset(request, super().get_queryset(request), self.production_path)

    def in_scope(self, request: HttpRequest, obj: models.Model | None) -> bool:
        if access.admin_sees_all(request.user):
            return True
        if self.production_path is None:
            return False
        if obj is None:
            return bool(access.admin_production_ids(request.user))
        return access.can_admin_production(request.user, production_id_of(obj, self.production_path))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) and self.in_scope(request, None)

    # Pages render now, as this viewer (hidden reporters stay hidden) and, for one object, in its
    # production's time zone.
    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        return render_as(super().changelist_view(request, extra_context), request.user)

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, obj: models.Model | None = None, **kwargs: Any
    ) -> Any:
        response = super().render_change_form(request, context, *args, obj=obj, **kwargs)
        return render_as(response, request.user, self.tz_of(obj))

    def tz_of(self, obj: models.Model | None) -> Any:
        if obj is None or self.production_path is None:
            return None
        production: Any = obj
        for hop in [hop for hop in self.production_path.split("__") if hop]:
            production = getattr(production, hop, None)
            if production is None:
                return None
        return production.tzinfo if isinstance(production, Production) else None

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_view_permission(request, obj) and self.in_scope(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and self.in_scope(request, None)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self.in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self.in_scope(request, obj)


class ReadOnlyAdminMixin:
    """Rows nobody edits through the admin (the trail, outbox rows, run records): view only, for everyone."""

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


# Who is looking, for display methods that have no request (list columns, read-only fields): the
# reporter of a confidential report is hidden unless this viewer may know them. Unset means "nobody
# in particular", which hides the most.
_viewer: ContextVar[Any] = ContextVar("admin_viewer", default=None)


def current_viewer() -> Any:
    return _viewer.get()


@contextmanager
def viewing(user: Any, tz: Any = None) -> Iterator[None]:
    token = _viewer.set(user)
    try:
        if tz is None:
            yield
        else:
            with timezone.override(tz):
                yield
    finally:
        _viewer.reset(token)


def render_as(response: Any, user: Any, tz: Any = None) -> Any:
    """Render a template response now, as `user` and in `tz` (admin responses render lazily otherwise)."""
    if isinstance(response, TemplateResponse) and not response.is_rendered:
        with viewing(user, tz):
            response.render()
    return response
