"""Actions on a report's page (acknowledge, comment, resolve, reopen) and the signed acknowledge link
sent in notifications. POST-only actions redirect back to the report page on success; on an error
the page is shown again with the message and everything that was typed."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from incidents import access
from incidents.formatting import local_datetime
from incidents.forms.actions import action_formset
from incidents.forms.handling import CommentForm, ReopenForm, ResolveForm
from incidents.models import Event, Notification, Report, ReportStatus
from incidents.notifications.message import ack_token_notification_id
from incidents.selectors.followup import action_owner_choices
from incidents.services.actions import actions_plan
from incidents.services.handling import (
    AckResult,
    report_acknowledge,
    report_acknowledge_by_link,
    report_comment,
    report_reopen,
)
from safetrack.http import safe_next

from .report_live import report_for_page
from .reports import report_page


def _report(request: HttpRequest, report_id: int) -> Report:
    return report_for_page(request.user, report_id)


def _add_service_error(form: CommentForm | ResolveForm | ReopenForm, field: str, exc: ValidationError) -> None:
    """ "Required" and "too long" belong to the text box; a report that changed state, or an action the
    service refused (an owner who left, a date gone past), is for the whole form."""
    form.add_error(field if exc.code in ("required", "too_long") and field in form.fields else None, exc)


def _tell_ack_result(request: HttpRequest, result: AckResult) -> None:
    report = result.report
    if result.won:
        messages.success(
            request,
            _("You acknowledged report #%(number)s: it stops climbing. Resolve it by %(when)s.")
            % {"number": report.pk, "when": local_datetime(report.next_escalation_at, report.production)},
        )
    elif report.status == ReportStatus.ACKNOWLEDGED and result.acknowledged_by is not None:
        messages.warning(
            request,
            _("%(name)s acknowledged report #%(number)s first, at %(when)s. Nothing else to do to stop it climbing.")
            % {
                "number": report.pk,
                "name": access.person_label(result.acknowledged_by, report, request.user),
                "when": local_datetime(result.acknowledged_at, report.production),
            },
        )
    else:
        already = _("Report #%(number)s is already resolved: there is nothing to acknowledge.")
        messages.info(request, already % {"number": report.pk})


@login_required
@require_POST
def acknowledge(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    back = (
        safe_next(request, request.POST.get("next")) or report.get_absolute_url()
    )  # the dashboard sends people back to it
    try:
        result = report_acknowledge(report_id=report.pk, user=request.user, via="page")
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(back)
    _tell_ack_result(request, result)
    return redirect(back)


def _submit(form: CommentForm | ResolveForm | ReopenForm, field: str, action: Callable[[dict], object]) -> bool:
    """Validate the form and run the service; its refusals become form errors. True when it went through."""
    if not form.is_valid():
        return False
    try:
        action(form.cleaned_data)
    except ValidationError as exc:
        _add_service_error(form, field, exc)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    else:
        return True
    return False


@login_required
@require_POST
def comment(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    form = CommentForm(request.POST, handler=access.comments_as_handler(request.user, report))
    added: list[Event] = []
    if _submit(
        form,
        "body",
        lambda data: added.append(
            report_comment(report_id=report.pk, user=request.user, body=data["body"], to_reporter=form.to_reporter)
        ),
    ):
        messages.success(request, _("Comment added."))
        # Back to the comment itself (the trail shows the newest first, right under the comment box).
        return redirect(f"{report.get_absolute_url()}#event-{added[0].seq}")
    return report_page(request, _report(request, report_id), comment_form=form)


@login_required
@require_POST
def resolve(request: HttpRequest, report_id: int) -> HttpResponse:
    """Resolve by planning corrective actions: the summary and one or more actions. The report is
    resolved when the last of them is verified (incidents.services.actions)."""
    report = _report(request, report_id)
    form = ResolveForm(request.POST)
    formset = action_formset(request.POST, owners=action_owner_choices(report.production_id))
    formset_valid = formset.is_valid()  # every row's errors are shown, whatever the summary says
    planned = _submit(
        form,
        "resolution",
        lambda data: (
            formset_valid
            and actions_plan(report_id=report.pk, user=request.user, summary=data["resolution"], plans=formset.plans())
        ),
    )
    if planned and formset_valid:
        messages.success(
            request,
            _("Corrective actions planned. Their owners are told; the report is resolved once all are verified."),
        )
        return redirect(f"{report.get_absolute_url()}#actions")
    return report_page(request, _report(request, report_id), resolve_form=form, extra_forms={"action_formset": formset})


@login_required
@require_POST
def reopen(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    form = ReopenForm(request.POST)
    if _submit(
        form, "reason", lambda data: report_reopen(report_id=report.pk, user=request.user, reason=data["reason"])
    ):
        messages.success(request, _("Reopened. The handlers are told it is not fixed."))
        return redirect(report)
    return report_page(request, _report(request, report_id), reopen_form=form)


# --- the acknowledge link in notifications ---------------------------------------------------------------


def _link_page(request: HttpRequest, state: str, status: int, report: Report | None = None) -> HttpResponse:
    context = {"state": state, "report": report}
    if report is not None:
        context["can_open"] = access.can_view_report(request.user, report)
        context["acknowledged_by"] = (
            access.person_label(report.acknowledged_by, report, request.user) if report.acknowledged_by_id else ""
        )
    response = render(request, "incidents/acknowledge_link.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def acknowledge_link(request: HttpRequest, report_id: int, token: str) -> HttpResponse:
    """GET: a page with one big button (mail scanners that follow links acknowledge nothing); POST:
    acknowledge. The link is signed, expires, works once, and only for the person it was sent to."""
    try:
        notification_id = ack_token_notification_id(token, max_age=settings.ACK_LINK_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        return _link_page(request, "expired", 410)
    except (signing.BadSignature, ValueError):
        return _link_page(request, "invalid", 400)
    notification = (
        Notification.objects.select_related("report__production", "report__acknowledged_by")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        return _link_page(request, "invalid", 400)
    refusal = access.ack_link_refusal(request.user, notification, report_id)
    if refusal == access.AckLinkRefusal.WRONG_REPORT:
        return _link_page(request, "invalid", 400)
    if refusal == access.AckLinkRefusal.WRONG_USER:
        return _link_page(request, "wrong_user", 403)
    report = notification.report
    if not access.can_view_report(request.user, report):
        return _link_page(request, "not_member", 403)
    if refusal == access.AckLinkRefusal.USED:
        return _link_page(request, "used", 410, report)
    if report.status != ReportStatus.OPEN:
        return _link_page(request, "closed", 200, report)
    if request.method == "GET":
        return _link_page(request, "confirm", 200, report)

    try:
        result = report_acknowledge_by_link(notification_id=notification.pk, report_id=report.pk, user=request.user)
    except PermissionDenied:
        return _link_page(request, "denied", 403, report)  # the link stays unused
    if result is None:
        return _link_page(request, "used", 410, report)
    _tell_ack_result(request, result)
    return redirect(result.report)
