"""The armory's inventory pages (/productions/<id>/armory/): what is in it, and the forms that change
it. Each view asks incidents.access first, then calls one service; refusals come back as form errors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from incidents import access
from incidents.armory_text import armory_event_text
from incidents.forms.armory import AmmunitionForm, RecountForm, RetireForm, WeaponForm
from incidents.models import WeaponStatus
from incidents.reporting import armory_evidence
from incidents.selectors.armory import (
    awaiting_confirmation,
    custody_log,
    lots_of,
    open_custody,
    weapon_evidence,
    weapon_trail,
    weapons_of,
)
from incidents.services.armory import inventory


@login_required
@require_GET
def armory_index(request: HttpRequest, production_id: int) -> HttpResponse:
    production = access.production_for_member(request.user, production_id)
    sees_inventory = access.is_handler_in(request.user, production_id)
    out = open_custody(production) if sees_inventory else {}
    weapons = weapons_of(production) if sees_inventory else []
    context = {
        "production": production,
        "keeps_armory": access.keeps_armory(request.user, production_id),
        "sees_inventory": sees_inventory,
        "weapons": [(weapon, out.get(weapon.pk)) for weapon in weapons],
        "lots": lots_of(production) if sees_inventory else [],
        "to_confirm": awaiting_confirmation(request.user, production, timezone.now()),
    }
    with timezone.override(production.tzinfo):
        return render(request, "incidents/armory/index.html", context)


@login_required
@require_GET
def weapon_detail(request: HttpRequest, production_id: int, weapon_id: int) -> HttpResponse:
    weapon = access.weapon_for_handler(request.user, production_id, weapon_id)
    trail = [(event, armory_event_text(event)) for event in weapon_trail(weapon)]
    log = list(custody_log(weapon))
    context = {
        "production": weapon.production,
        "weapon": weapon,
        "trail": trail,
        "custody": log,
        "open_record": next((record for record in log if record.is_out), None),
        "keeps_armory": access.keeps_armory(request.user, production_id),
    }
    with timezone.override(weapon.production.tzinfo):
        return render(request, "incidents/armory/weapon_detail.html", context)


@login_required
@require_GET
def weapon_evidence_csv(request: HttpRequest, production_id: int, weapon_id: int) -> StreamingHttpResponse:
    weapon = access.weapon_for_handler(request.user, production_id, weapon_id)
    now = timezone.now()
    lines = armory_evidence.evidence_csv(weapon_evidence(weapon), weapon.production)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = armory_evidence.evidence_filename(weapon.production, f"weapon-{weapon.pk}", now)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def weapon_new(request: HttpRequest, production_id: int) -> HttpResponse:
    production = access.production_for_armory_keeper(request.user, production_id)
    form = WeaponForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            weapon = inventory.weapon_add(production=production, user=request.user, draft=form.draft())
        except ValidationError as exc:
            form.add_error("serial" if exc.code == "duplicate" else None, exc)
        else:
            messages.success(request, _("%(weapon)s is in the armory.") % {"weapon": weapon})
            return redirect("armory", production.pk)
    return render(request, "incidents/armory/weapon_form.html", {"production": production, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def weapon_edit(request: HttpRequest, production_id: int, weapon_id: int) -> HttpResponse:
    weapon = access.weapon_for_keeper(request.user, production_id, weapon_id)
    initial = {"kind": weapon.kind, "make": weapon.make, "model_name": weapon.model_name, "serial": weapon.serial}
    form = WeaponForm(request.POST or None, initial=initial, submit_label=str(_("Save the correction")))
    if request.method == "POST" and form.is_valid():
        try:
            weapon = inventory.weapon_change(weapon_id=weapon.pk, user=request.user, draft=form.draft())
        except ValidationError as exc:
            form.add_error("serial" if exc.code == "duplicate" else None, exc)
        else:
            messages.success(request, _("%(weapon)s corrected.") % {"weapon": weapon})
            return redirect(weapon.get_absolute_url())
    context = {"production": weapon.production, "weapon": weapon, "form": form}
    return render(request, "incidents/armory/weapon_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def weapon_retire(request: HttpRequest, production_id: int, weapon_id: int) -> HttpResponse:
    weapon = access.weapon_for_keeper(request.user, production_id, weapon_id)
    form = RetireForm(request.POST or None)
    if request.method == "POST" and weapon.status != WeaponStatus.RETIRED and form.is_valid():
        try:
            inventory.weapon_retire(weapon_id=weapon.pk, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(weapon)s is retired.") % {"weapon": weapon})
            return redirect(weapon.get_absolute_url())
    context = {"production": weapon.production, "weapon": weapon, "form": form}
    return render(request, "incidents/armory/weapon_retire.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def ammunition_new(request: HttpRequest, production_id: int) -> HttpResponse:
    production = access.production_for_armory_keeper(request.user, production_id)
    form = AmmunitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stocked = inventory.ammunition_stock(
                production=production,
                user=request.user,
                kind=data["kind"],
                description=data["description"],
                count=data["count"],
                idempotency_key=data["idempotency_key"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if stocked.live_report is not None:
                messages.error(
                    request,
                    _(
                        "Live ammunition is never stocked: nothing was added. SafeTrack filed a critical report "
                        "and alerted the safety coordinator and the producers. Secure the rounds away from the set."
                    ),
                )
                return redirect(stocked.live_report.get_absolute_url())
            messages.success(request, _("%(lot)s added to the armory.") % {"lot": stocked.lot})
            return redirect("armory", production.pk)
    return render(request, "incidents/armory/ammunition_form.html", {"production": production, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def ammunition_count(request: HttpRequest, production_id: int, lot_id: int) -> HttpResponse:
    lot = access.lot_for_keeper(request.user, production_id, lot_id)
    form = RecountForm(request.POST or None, initial={"count": lot.count})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inventory.ammunition_recount(lot_id=lot.pk, user=request.user, count=data["count"], reason=data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Count saved."))
            return redirect("armory", lot.production_id)
    return render(
        request, "incidents/armory/ammunition_count.html", {"production": lot.production, "lot": lot, "form": form}
    )
