"""The armory in the admin, scoped to the production admins like every other model (admin_scope).

Weapons and lots are added and changed through the inventory services, so each change is on the
production's armory trail with the admin user as its actor; the trail and the gap links are read-only.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from incidents.admin_scope import ProductionScopedAdmin, ReadOnlyAdminMixin
from incidents.armory_text import armory_event_text
from incidents.formatting import local_datetime
from incidents.models import AmmoLot, ArmoryEvent, ArmoryGap, CustodyRecord, Weapon
from incidents.services.armory import inventory
from incidents.services.armory.inventory import REASON_MAX_LENGTH, WeaponDraft


class WeaponAdminForm(forms.ModelForm):
    retire_reason = forms.CharField(
        label=_("Retire it, because"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        help_text=_("Filled in, this retires the weapon for good (it must be in the armory)."),
    )

    class Meta:
        model = Weapon
        fields = ["production", "kind", "make", "model_name", "serial"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        production_id = cleaned["production"].pk if cleaned.get("production") else self.instance.production_id
        if production_id and all(cleaned.get(name) for name in ("kind", "make", "model_name", "serial")):
            try:
                inventory.weapon_check(production_id=production_id, draft=_draft(cleaned), weapon_id=self.instance.pk)
            except ValidationError as exc:
                self.add_error("serial" if exc.code == "duplicate" else None, exc)
        if cleaned.get("retire_reason") and self.instance.pk and self.instance.status != "in_armory":
            self.add_error("retire_reason", _("Only a weapon in the armory can be retired."))
        return cleaned


def _draft(data: dict[str, Any]) -> WeaponDraft:
    return WeaponDraft(kind=data["kind"], make=data["make"], model_name=data["model_name"], serial=data["serial"])


@admin.register(Weapon)
class WeaponAdmin(ProductionScopedAdmin):
    form = WeaponAdminForm
    list_display = ["__str__", "kind", "status", "production"]
    list_filter = ["status", "kind", ("production", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["make", "model_name", "serial"]
    list_select_related = ["production"]

    def get_fields(self, request: HttpRequest, obj: Weapon | None = None) -> list[str]:
        if obj is None:
            return ["production", "kind", "make", "model_name", "serial"]
        return ["production", "kind", "make", "model_name", "serial", "status", "retire_reason"]

    def get_readonly_fields(self, request: HttpRequest, obj: Weapon | None = None) -> list[str]:
        return ["production", "status"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Weapon | None = None) -> bool:
        return False  # a weapon with a history is retired, never removed

    def save_model(self, request: HttpRequest, obj: Weapon, form: forms.ModelForm, change: bool) -> None:
        draft = _draft(form.cleaned_data)
        if not change:
            saved = inventory.weapon_add(production=form.cleaned_data["production"], user=request.user, draft=draft)
            obj.pk = saved.pk
            return
        inventory.weapon_change(weapon_id=obj.pk, user=request.user, draft=draft)
        if form.cleaned_data.get("retire_reason"):
            inventory.weapon_retire(weapon_id=obj.pk, user=request.user, reason=form.cleaned_data["retire_reason"])


class AmmoLotAdminForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("Why does the count change?"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        help_text=_("Needed when you change the count; it goes on the armory's trail."),
    )

    class Meta:
        model = AmmoLot
        fields = ["production", "kind", "description", "count"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk and "count" in self.changed_data and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason: it goes on the armory's trail."))
        return cleaned


@admin.register(AmmoLot)
class AmmoLotAdmin(ProductionScopedAdmin):
    form = AmmoLotAdminForm
    list_display = ["__str__", "count", "production"]
    list_filter = ["kind", ("production", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["description"]
    list_select_related = ["production"]

    def get_fields(self, request: HttpRequest, obj: AmmoLot | None = None) -> list[str]:
        return ["production", "kind", "description", "count"] + (["reason"] if obj is not None else [])

    def get_readonly_fields(self, request: HttpRequest, obj: AmmoLot | None = None) -> list[str]:
        return ["production", "kind", "description"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: AmmoLot | None = None) -> bool:
        return False  # a lot that was counted out and in stays on the record; count it down to zero

    def save_model(self, request: HttpRequest, obj: AmmoLot, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            stocked = inventory.ammunition_stock(
                production=data["production"],
                user=request.user,
                kind=data["kind"],
                description=data["description"],
                count=data["count"],
            )
            obj.pk = stocked.lot.pk if stocked.lot else None
            return
        if "count" in form.changed_data:
            inventory.ammunition_recount(lot_id=obj.pk, user=request.user, count=data["count"], reason=data["reason"])


@admin.register(ArmoryEvent)
class ArmoryEventAdmin(ReadOnlyAdminMixin, ProductionScopedAdmin):
    """Append-only: no add, change or delete, superusers included (the model and the database refuse too)."""

    list_display = ["seq", "production", "what", "when"]
    list_filter = ["kind", ("production", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["subject"]
    date_hierarchy = "created_at"
    list_select_related = ["production", "actor"]
    fields = ["production", "seq", "kind", "subject", "what", "when", "prev_hash", "hash"]
    readonly_fields = ["what", "when"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ArmoryEvent]:
        return super().get_queryset(request).select_related("production", "actor")

    @admin.display(description=_("what happened"))
    def what(self, obj: ArmoryEvent) -> str:
        return armory_event_text(obj)

    @admin.display(description=_("when"), ordering="created_at")
    def when(self, obj: ArmoryEvent) -> str:
        return local_datetime(obj.created_at, obj.production)


@admin.register(ArmoryGap)
class ArmoryGapAdmin(ReadOnlyAdminMixin, ProductionScopedAdmin):
    list_display = ["report", "kind", "weapon", "custody", "production", "created_at"]
    list_filter = ["kind", ("production", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["report", "weapon", "custody__weapon", "custody__handed_to", "production"]
    fields = ["report", "kind", "weapon", "custody", "production", "created_at"]


@admin.register(CustodyRecord)
class CustodyRecordAdmin(ReadOnlyAdminMixin, ProductionScopedAdmin):
    """The chain of custody, read-only: it is written on set (check-out, confirmations, check-in) and
    sealed on the armory trail; an edit here would be one the trail reports."""

    list_display = ["weapon", "handed_to", "scene", "load", "rounds_out", "checked", "out", "back", "adds_up"]
    list_filter = ["load", "checked", ("production", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["scene", "weapon__serial"]
    date_hierarchy = "checked_out_at"
    list_select_related = ["weapon", "handed_to", "production"]

    @admin.display(description=_("out"), ordering="checked_out_at")
    def out(self, obj: CustodyRecord) -> str:
        return local_datetime(obj.checked_out_at, obj.production)

    @admin.display(description=_("back"), ordering="checked_in_at")
    def back(self, obj: CustodyRecord) -> str:
        return local_datetime(obj.checked_in_at, obj.production)

    @admin.display(description=_("count adds up"), boolean=True)
    def adds_up(self, obj: CustodyRecord) -> bool | None:
        return obj.count_adds_up
