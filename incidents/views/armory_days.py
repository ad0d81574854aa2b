"""Shooting days, the daily safety meeting and the armorer's time (/productions/<id>/days/...).

Phone-first, no JavaScript needed. Each view asks incidents.access first, then calls one service;
refusals come back on the form's field; every POST that changes something redirects."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import access
from incidents.armory_text import armory_event_text
from incidents.forms.armory_days import AnswerForm, DayForm, MeetingForm, TimeRequestForm
from incidents.models import ShootingDay, TimeRequestStatus
from incidents.reporting import armory_evidence
from incidents.selectors.armory import (
    attendance_of,
    checkout_people,
    day_custody,
    day_evidence,
    day_trail,
    days_of,
    local_day,
    meeting_of,
    time_request_trail,
    time_requests_for,
    time_requests_waiting,
)
from incidents.services.armory import days, time_requests


@login_required
@require_GET
def days_index(request: HttpRequest, production_id: int) -> HttpResponse:
    production = access.production_for_member(request.user, production_id)
    today = local_day(production, timezone.now())
    coming, past = days_of(production, today)
    answers = access.answers_time_requests(request.user, production_id)
    context = {
        "production": production,
        "today": today,
        "coming": coming,
        "past": past[:14],
        "plans_days": access.plans_days(request.user, production_id),
        "can_request_time": access.can_request_time(request.user, production_id),
        "waiting": time_requests_waiting(production, request.user) if answers else 0,
    }
    with timezone.override(production.tzinfo):
        return render(request, "incidents/days/index.html", context)


def _day_initial(day: ShootingDay) -> dict[str, object]:
    tz = day.production.tzinfo
    return {
        "date": day.date,
        "scenes": day.scenes,
        "first_scene": timezone.localtime(day.first_scene_at, tz).time(),
        "wrap": timezone.localtime(day.wrap_at, tz).time(),
        "firearms": day.firearms,
        "stunts": day.stunts,
        "pyrotechnics": day.pyrotechnics,
        "vehicles": day.vehicles,
    }


@login_required
@require_http_methods(["GET", "POST"])
def day_new(request: HttpRequest, production_id: int) -> HttpResponse:
    production = access.production_for_day_planner(request.user, production_id)
    initial = {"date": local_day(production, timezone.now())}
    form = DayForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            day = days.day_schedule(production=production, user=request.user, plan=form.plan())
        except ValidationError as exc:
            form.add_refusal(exc)
        else:
            messages.success(request, _("%(day)s is on the schedule.") % {"day": day})
            return redirect(day.get_absolute_url())
    return render(request, "incidents/days/day_form.html", {"production": production, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def day_edit(request: HttpRequest, production_id: int, day_id: int) -> HttpResponse:
    day = access.day_for_planner(request.user, production_id, day_id)
    form = DayForm(request.POST or None, initial=_day_initial(day), submit_label=str(_("Save the day")))
    if request.method == "POST" and form.is_valid():
        try:
            day = days.day_change(day_id=day.pk, user=request.user, plan=form.plan())
        except ValidationError as exc:
            form.add_refusal(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(day.get_absolute_url())
    return render(request, "incidents/days/day_form.html", {"production": day.production, "day": day, "form": form})


@login_required
@require_GET
def day_detail(request: HttpRequest, production_id: int, day_id: int) -> HttpResponse:
    day = access.day_for_member(request.user, production_id, day_id)
    meeting = meeting_of(day)
    is_handler = access.is_handler_in(request.user, production_id)
    attendance = attendance_of(meeting) if meeting else []
    # The first scene has passed with no meeting recorded and the sweeper has not looked yet (a day added
    # late has MEETING_GRACE): the planner is told to record it now, and by when.
    meeting_late = day.firearms and meeting is None and day.meeting_checked_at is None
    context = {
        "meeting_due_at": day.meeting_due_at if meeting_late and day.first_scene_at <= timezone.now() else None,
        "production": day.production,
        "day": day,
        "meeting": meeting,
        "attended": any(a.person_id == request.user.pk for a in attendance),
        # Who was there is for the handlers; a crew member sees their own confirmation.
        "attendance": attendance if is_handler else [],
        "attendance_count": len(attendance),
        "plans_days": access.plans_days(request.user, production_id),
        "is_handler": is_handler,
        "custody": list(day_custody(day)) if is_handler else [],
        "trail": [(event, armory_event_text(event)) for event in day_trail(day)] if is_handler else [],
    }
    with timezone.override(day.production.tzinfo):
        return render(request, "incidents/days/day_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest, production_id: int, day_id: int) -> HttpResponse:
    day = access.day_for_planner(request.user, production_id, day_id)
    initial = {"held_at": timezone.localtime(timezone.now(), day.production.tzinfo).time(), "led_by": request.user.pk}
    form = MeetingForm(request.POST or None, initial=initial, members=checkout_people(day.production))
    recorded = meeting_of(day)
    if request.method == "POST" and recorded is None and form.is_valid():
        data = form.cleaned_data
        try:
            days.meeting_record(
                day_id=day.pk, user=request.user, led_by=data["led_by"], held_at=data["held_at"], topics=data["topics"]
            )
        except ValidationError as exc:
            form.add_refusal(exc)
        else:
            messages.success(
                request, _("The safety meeting is on the record. Everyone there confirms from the day's page.")
            )
            return redirect(day.get_absolute_url())
    context = {"production": day.production, "day": day, "form": form, "recorded": recorded}
    with timezone.override(day.production.tzinfo):
        return render(request, "incidents/days/meeting_form.html", context)


@login_required
@require_POST
def attendance_confirm(request: HttpRequest, production_id: int, day_id: int) -> HttpResponse:
    day = access.day_for_member(request.user, production_id, day_id)
    try:
        days.attendance_confirm(day_id=day.pk, user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Thank you: your attendance is on the record."))
    return redirect(day.get_absolute_url())


@login_required
@require_GET
def day_evidence_csv(request: HttpRequest, production_id: int, day_id: int) -> StreamingHttpResponse:
    day = access.day_for_handler(request.user, production_id, day_id)
    now = timezone.now()
    lines = armory_evidence.evidence_csv(day_evidence(day), day.production)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = armory_evidence.evidence_filename(day.production, f"day-{day.date.isoformat()}", now)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- the armorer's time --------------------------------------------------------------------------------


@login_required
@require_GET
def time_request_list(request: HttpRequest, production_id: int) -> HttpResponse:
    production = access.production_for_time_requester(request.user, production_id)
    sees_all = access.sees_every_time_request(request.user, production_id)
    context = {
        "production": production,
        "requests": list(time_requests_for(request.user, production, sees_all=sees_all)[:100]),
        "sees_all": sees_all,
    }
    with timezone.override(production.tzinfo):
        return render(request, "incidents/days/requests.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def time_request_new(request: HttpRequest, production_id: int) -> HttpResponse:
    production = access.production_for_time_requester(request.user, production_id)
    form = TimeRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            asked = time_requests.time_request_make(
                production=production,
                user=request.user,
                kind=data["kind"],
                what=data["what"],
                reason=data["reason"],
                needed_on=data["needed_on"],
                idempotency_key=data["idempotency_key"],
            )
        except ValidationError as exc:
            form.add_refusal(exc)
        else:
            messages.success(request, _("Request sent: the UPM and the producers answer it here."))
            return redirect(asked.get_absolute_url())
    return render(request, "incidents/days/request_form.html", {"production": production, "form": form})


@login_required
@require_GET
def time_request_detail(request: HttpRequest, production_id: int, request_id: int) -> HttpResponse:
    asked = access.time_request_for_viewer(request.user, production_id, request_id)
    may_answer = (
        asked.status == TimeRequestStatus.PENDING
        and access.answers_time_requests(request.user, production_id)
        and asked.requested_by_id != request.user.pk
    )
    action = reverse("time_request_answer", args=[production_id, asked.pk])
    context = {
        "production": asked.production,
        "asked": asked,
        "form": AnswerForm(action=action) if may_answer else None,
        "trail": [(event, armory_event_text(event)) for event in time_request_trail(asked)],
        "gaps": list(asked.gaps.select_related("report")),
    }
    with timezone.override(asked.production.tzinfo):
        return render(request, "incidents/days/request_detail.html", context)


@login_required
@require_POST
def time_request_answer(request: HttpRequest, production_id: int, request_id: int) -> HttpResponse:
    asked = access.time_request_for_answerer(request.user, production_id, request_id)
    form = AnswerForm(request.POST, action=reverse("time_request_answer", args=[production_id, asked.pk]))
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            time_requests.time_request_answer(
                request_id=asked.pk, user=request.user, approve=approve, answer=form.cleaned_data["answer"]
            )
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            if approve:
                messages.success(request, _("Approved."))
            else:
                messages.warning(
                    request, _("Refused. The level above you and the safety coordinator are told, with your name.")
                )
        return redirect(asked.get_absolute_url())
    context = {
        "production": asked.production,
        "asked": asked,
        "form": form,
        "trail": [(event, armory_event_text(event)) for event in time_request_trail(asked)],
        "gaps": list(asked.gaps.select_related("report")),
    }
    with timezone.override(asked.production.tzinfo):
        return render(request, "incidents/days/request_detail.html", context, status=200)
