"""Stop-work: call it (any member), lift it (producer level and above, with a clearance note)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from accounts.models import Production
from accounts.services import current_production, user_memberships
from incidents import access
from incidents.forms.stop_work import StopWorkForm, StopWorkLiftForm
from incidents.ladder import ladder_for
from incidents.models import Identity, Report
from incidents.services import stop_work as stop_work_service
from incidents.services.receipt import receipt_for_key, receipt_new
from incidents.views.guards import joined_first

from . import receipt_handoff


def _call_refusal(request: HttpRequest, production: Production, key: object) -> ValidationError | None:
    """A member's own call still active is refused with a link to it (it already reaches everyone), and
    each member may call STOP_WORK_RATE times per production (3 an hour): each call emails every level.
    The same call sent again (its idempotency key) is neither: filing answers with the first one."""
    if key and Report.objects.filter(idempotency_key=key).exists():
        return None
    own = (
        Report.objects.active_stop_work()
        .filter(production=production, reporter=request.user)
        .only("pk")
        .order_by("-created_at")
        .first()
    )
    if own is not None:
        message = format_html(
            '{} <a href="{}">{}</a>',
            _("Your stop-work call on this production is still active: everyone has been alerted."),
            own.get_absolute_url(),
            _("Open your call to add details"),
        )
        return ValidationError(message, code="own_call_active")
    if is_ratelimited(
        request, group=f"stop-work:{production.pk}", key="user", rate=settings.STOP_WORK_RATE, increment=True
    ):
        return ValidationError(
            _(
                "You have called stop-work on this production too often in the last hour, so this call was not "
                "sent. If someone could be hurt, tell the 1st AD or the armorer in person now."
            ),
            code="limited",
        )
    return None


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
@joined_first(gettext_lazy("Join your production first: stop-work is called on a production."))
def stop_work_new(request: HttpRequest) -> HttpResponse:
    memberships = user_memberships(request.user)
    current = current_production(request)
    initial = {"production": current.pk if current else memberships[0].production_id}
    form = StopWorkForm(request.POST or None, memberships=memberships, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        production = data["production"].production
        refusal = _call_refusal(request, production, data["idempotency_key"])
        if refusal is not None:
            form.add_error(None, refusal)
            status = 409 if refusal.code == "own_call_active" else 429
            return render(
                request, "incidents/stop_work_new.html", {"form": form, "memberships": memberships}, status=status
            )
        anonymous = data["identity"] == Identity.ANONYMOUS
        key = data["idempotency_key"]
        # Derived from the call's key, so a repeated call shows the code that opens the first one.
        receipt = (receipt_for_key(key) if key else receipt_new()) if anonymous else None
        try:
            report = stop_work_service.stop_work_call(
                production=production,
                caller=None if anonymous else request.user,
                reason=data["title"],
                details=data["description"],
                location=data["location"],
                identity=data["identity"],
                receipt_hash=receipt.hash if receipt else None,
                idempotency_key=key,
            )
        except ValidationError as exc:
            form.add_error("title", exc)
        else:
            ladder = ladder_for(production)
            if receipt is not None:
                # Shown once, after the redirect: the signed receipt cookie carries it, no session or message.
                return receipt_handoff.handoff_redirect(
                    code=receipt.code, report_id=report.pk, show_once=receipt_handoff.FILED_STOP_WORK
                )
            messages.warning(
                request,
                _("STOP WORK called on %(production)s. Every member, and every level up to %(top)s, has been alerted.")
                % {"production": production.name, "top": ladder.levels[-1].roles_display()},
            )
            return redirect(report.get_absolute_url())
    return render(request, "incidents/stop_work_new.html", {"form": form, "memberships": memberships})


@login_required
@require_http_methods(["GET", "POST"])
def stop_work_lift(request: HttpRequest, report_id: int) -> HttpResponse:
    report = access.report_for_viewer(
        request.user, report_id, queryset=Report.objects.select_related("production", "reporter", "lifted_by")
    )
    if not report.is_stop_work:
        raise Http404
    if report.lifted_at is None and not access.can_lift_stop_work(request.user, report):
        raise PermissionDenied(_("Only a producer or someone above can lift a stop-work call."))
    form = StopWorkLiftForm(request.POST or None)
    if request.method == "POST" and report.lifted_at is None and form.is_valid():
        try:
            stop_work_service.stop_work_lift(
                report_id=report.pk, user=request.user, clearance_note=form.cleaned_data["clearance_note"]
            )
        except ValidationError as exc:
            form.add_error("clearance_note", exc)
        else:
            messages.success(
                request,
                _("Stop-work lifted on %(production)s. Everyone who was alerted is being told.")
                % {"production": report.production.name},
            )
            return redirect(report.get_absolute_url())
    with timezone.override(report.production.tzinfo):
        return render(request, "incidents/stop_work_lift.html", {"report": report, "form": form})
