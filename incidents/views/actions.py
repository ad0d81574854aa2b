"""A corrective action's page: what to do, by when and what done means; its owner marks it done with
evidence, someone else verifies it or sends it back. POSTs redirect back to the page; a refused one shows
the page again with the message and everything typed (and the photos chosen, kept on the server)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from incidents import access
from incidents.forms.actions import KEPT_FIELD, ActionDoneForm, ActionSendBackForm
from incidents.models import CorrectiveAction, Event, EventKind, Report, ReportStatus
from incidents.services.actions import action_mark_done, action_send_back, action_verify


def _owner_key(request: HttpRequest) -> str:
    return f"user:{request.user.pk}"


def action_page(
    request: HttpRequest,
    action: CorrectiveAction,
    *,
    done_form: ActionDoneForm | None = None,
    send_back_form: Form | None = None,
    verify_error: str = "",
    status: int = 200,
) -> HttpResponse:
    report = action.report
    user = request.user
    history = [
        event
        for event in Event.objects.filter(
            report_id=report.pk,
            kind__in=[EventKind.ACTION_DONE, EventKind.ACTION_SENT_BACK, EventKind.ACTION_ESCALATED],
        )
        .select_related("actor")
        .order_by("-seq")
        if (event.payload or {}).get("action_id") == action.pk
    ]
    context = {
        "action": action,
        "report": report,
        "production": report.production,
        "can_open_report": access.can_view_report(user, report),
        "can_mark_done": access.can_mark_action_done(user, action),
        "can_verify": access.can_verify_action(user, action, report),
        "owner_label": access.person_label(action.owner, report, user),
        "verified_by_label": access.person_label(action.verified_by, report, user),
        "done_form": done_form or ActionDoneForm(owner=_owner_key(request)),
        "send_back_form": send_back_form or ActionSendBackForm(),
        "verify_error": verify_error,
        "evidence": list(action.evidence.all()),
        "history": [(event, access.event_actor_label(event, report, user)) for event in history],
        "kept_field": KEPT_FIELD,
    }
    with timezone.override(report.production.tzinfo):
        response = render(request, "incidents/action_detail.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def action_detail(request: HttpRequest, action_id: int) -> HttpResponse:
    return action_page(request, access.action_for_viewer(request.user, action_id))


@login_required
@require_POST
def action_done(request: HttpRequest, action_id: int) -> HttpResponse:
    action = access.action_for_viewer(request.user, action_id)
    form = ActionDoneForm(request.POST, request.FILES, owner=_owner_key(request))
    if form.is_valid():
        try:
            data = form.cleaned_data
            action_mark_done(action_id=action.pk, user=request.user, note=data["note"], uploads=data["evidence"])
        except ValidationError as exc:
            form.add_error("note" if exc.code in ("required", "too_long") else None, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            form.kept_delete()
            messages.success(request, _("Marked done. Someone else now checks it and verifies it."))
            return redirect(action)
    form.uploads_keep()
    return action_page(request, access.action_for_viewer(request.user, action_id), done_form=form)


@login_required
@require_POST
def action_verify_view(request: HttpRequest, action_id: int) -> HttpResponse:
    action = access.action_for_viewer(request.user, action_id)
    try:
        action_verify(action_id=action.pk, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        return action_page(request, access.action_for_viewer(request.user, action_id), verify_error=message)
    if Report.objects.filter(pk=action.report_id, status=ReportStatus.RESOLVED).exists():
        messages.success(request, _("Verified. Every action is verified: the report is resolved, the reporter told."))
    else:
        messages.success(request, _("Verified."))
    return redirect(action)


@login_required
@require_POST
def action_send_back_view(request: HttpRequest, action_id: int) -> HttpResponse:
    action = access.action_for_viewer(request.user, action_id)
    form = ActionSendBackForm(request.POST)
    if form.is_valid():
        try:
            action_send_back(action_id=action.pk, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error("reason" if exc.code in ("required", "too_long") else None, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Sent back to its owner, with what is missing."))
            return redirect(action)
    return action_page(request, access.action_for_viewer(request.user, action_id), send_back_form=form)


@login_required
@require_GET
def action_evidence(request: HttpRequest, action_id: int, attachment_id: int) -> FileResponse:
    """Evidence photos shown inline, PDFs downloaded; to whoever may open the action, never a public URL."""
    attachment = access.evidence_for_viewer(request.user, action_id, attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    number = attachment.action.evidence.filter(pk__lte=attachment.pk).count()
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=attachment.download_name(number),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
