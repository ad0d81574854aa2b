"""The chain of custody on set (/productions/<id>/armory/...): check a weapon out and in, and the
receiver and the 1st AD confirm the check from their own phones. Phone-first, no JavaScript needed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import access
from incidents.forms.armory_custody import CheckInForm, CheckOutForm
from incidents.models import CustodyRecord, Weapon
from incidents.selectors.armory import (
    HELD_NO_FIREARMS_DAY,
    checkout_lots,
    checkout_people,
    firearms_hold,
    last_custody,
    safety_coordinators,
    went_out_with_no_firearms_day,
)
from incidents.services.armory import custody
from incidents.services.armory.custody import FIRST_AD, RECEIVER


def _checkout_initial(weapon: Weapon) -> dict[str, object]:
    """A routine check-out repeats the weapon's last one: same person, 1st AD, scene and load."""
    last = last_custody(weapon)
    if last is not None:
        return {
            "handed_to": last.handed_to_id,
            "first_ad": last.first_ad_id,
            "scene": last.scene,
            "load": last.load,
            "lot": last.lot_id,
            "rounds": last.rounds_out,
        }
    coordinators = safety_coordinators(weapon.production)
    return {"first_ad": coordinators[0].pk} if len(coordinators) == 1 else {}


@login_required
@require_http_methods(["GET", "POST"])
def check_out(request: HttpRequest, production_id: int, weapon_id: int) -> HttpResponse:
    weapon = access.weapon_for_keeper(request.user, production_id, weapon_id)
    hold = firearms_hold(weapon, timezone.now())
    form = CheckOutForm(
        request.POST or None,
        weapon=weapon,
        keeper=request.user,
        members=checkout_people(weapon.production),
        lots=checkout_lots(weapon.production),
        initial=_checkout_initial(weapon),
        may_override=hold.reason if hold and access.overrides_meeting(request.user, production_id) else "",
    )
    if request.method == "POST" and form.is_valid():
        try:
            outcome = custody.custody_check_out(
                weapon_id=weapon.pk,
                user=request.user,
                checkout=form.checkout(),
                meeting_override=form.override_reason(),
            )
        except ValidationError as exc:
            form.add_refusal(exc)
        else:
            if outcome.overrode == HELD_NO_FIREARMS_DAY:
                messages.warning(
                    request,
                    _(
                        "%(weapon)s is out with no firearms day today: the safety coordinator is told, with your "
                        "reason (report #%(report)s)."
                    )
                    % {"weapon": weapon, "report": outcome.gap_report.pk if outcome.gap_report else "?"},
                )
            elif outcome.record.meeting_override:
                messages.warning(
                    request,
                    _(
                        "%(weapon)s is out before the safety meeting: the safety coordinator is told, with your "
                        "reason (report #%(report)s)."
                    )
                    % {"weapon": weapon, "report": outcome.gap_report.pk if outcome.gap_report else "?"},
                )
            elif outcome.gap_report is not None:
                messages.warning(
                    request,
                    _("%(weapon)s is out without the check: SafeTrack filed a report (#%(report)s).")
                    % {"weapon": weapon, "report": outcome.gap_report.pk},
                )
            else:
                messages.success(
                    request,
                    _("%(weapon)s is out with %(person)s.") % {"weapon": weapon, "person": outcome.record.handed_to},
                )
            return redirect(outcome.record.get_absolute_url())
    context = {"production": weapon.production, "weapon": weapon, "form": form, "hold": hold}
    with timezone.override(weapon.production.tzinfo):
        return render(request, "incidents/armory/check_out.html", context)


@login_required
@require_GET
def custody_detail(request: HttpRequest, production_id: int, record_id: int) -> HttpResponse:
    record = access.custody_for_viewer(request.user, production_id, record_id)
    context = {
        "production": record.production,
        "record": record,
        "party": custody.custody_party(request.user, record),
        "recordable": custody.confirmable_parties(record),
        "no_firearms_day": went_out_with_no_firearms_day(record),
        "keeps_armory": access.keeps_armory(request.user, production_id),
        "gaps": list(record.gaps.select_related("report")) if access.is_handler_in(request.user, production_id) else [],
    }
    with timezone.override(record.production.tzinfo):
        return render(request, "incidents/armory/custody_detail.html", context)


@login_required
@require_POST
def custody_confirm(request: HttpRequest, production_id: int, record_id: int) -> HttpResponse:
    record = access.custody_for_viewer(request.user, production_id, record_id)
    custody.custody_confirm(record_id=record.pk, user=request.user)  # refuses who may not, in words
    messages.success(request, _("Thank you: your confirmation is on the record."))
    return redirect(record.get_absolute_url())


@login_required
@require_POST
def custody_present(request: HttpRequest, production_id: int, record_id: int) -> HttpResponse:
    record = access.custody_for_keeper(request.user, production_id, record_id)
    party = request.POST.get("party", "")
    if party not in (RECEIVER, FIRST_AD):
        messages.error(request, _("Choose the receiver or the 1st AD."))
    else:
        try:
            custody.custody_record_present(record_id=record.pk, user=request.user, party=party)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("Recorded."))
    return redirect(record.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, production_id: int, record_id: int) -> HttpResponse:
    record: CustodyRecord = access.custody_for_keeper(request.user, production_id, record_id)
    form = CheckInForm(request.POST or None, record=record)
    if request.method == "POST" and record.is_out and form.is_valid():
        try:
            outcome = custody.custody_check_in(
                record_id=record.pk,
                user=request.user,
                rounds_back=form.cleaned_data["rounds_back"],
                rounds_fired=form.cleaned_data["rounds_fired"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if outcome.gap_report is not None:
                said = _(
                    "The count does not add up: SafeTrack filed a critical report (#%(report)s). Find every "
                    "round before the weapon is used again."
                ) % {"report": outcome.gap_report.pk}
                if outcome.record.rounds_set_aside:
                    said += " " + custody.set_aside_words(outcome.record.rounds_set_aside)
                messages.error(request, said)
            else:
                messages.success(request, _("%(weapon)s is back in the armory.") % {"weapon": record.weapon})
            return redirect(record.get_absolute_url())
    context = {
        "production": record.production,
        "record": record,
        "form": form,
        "no_firearms_day": went_out_with_no_firearms_day(record),
    }
    with timezone.override(record.production.tzinfo):
        return render(request, "incidents/armory/check_in.html", context)
