"""Filing a report, "my reports", and the report page with its trail and the actions the viewer may take."""

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from accounts.models import Production
from accounts.services import user_memberships
from incidents import access
from incidents.access import AnyUser
from incidents.categories import Category
from incidents.forms.handling import CommentForm, ReopenForm, ResolveForm
from incidents.forms.report import ReportForm
from incidents.ladder import ladder_for
from incidents.models import Ammunition, Attachment, Channel, EventKind, Identity, Notification, Report, ReportStatus
from incidents.services.filing import report_file
from incidents.services.handling import report_mark_viewed
from incidents.services.inbox import notifications_mark_read
from incidents.services.receipt import Receipt, receipt_for_key, receipt_new
from incidents.services.stop_work import REASON_MAX_LENGTH
from incidents.views.guards import joined_first
from safetrack.ids import id_from

from . import receipt_handoff
from .report_followup import followup_context
from .report_live import live_context, report_for_page

PAGE_SIZE = 20


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """Reports, newest first: a handler lands on their productions' reports (DESIGN.md: the production
    queue), with a tab for the ones they filed; crew see the ones they filed."""
    handled = access.handler_production_ids(request.user)
    tab = request.GET.get("tab", "production" if handled else "mine")
    visible = access.reports_visible_to(request.user)
    if tab == "production" and handled:
        reports = visible.filter(production_id__in=handled)
    else:
        tab = "mine"
        reports = visible.filter(reporter=request.user)
    reports = reports.select_related("production", "reporter").order_by("-created_at", "-pk")
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/report_list.html",
        {"page": page, "tab": tab, "is_handler": bool(handled)},
    )


def _production_for_new_report(request: HttpRequest) -> Production | None:
    """The production asked for (a member's only; 404 otherwise), the only one, or None to pick."""
    raw = request.GET.get("production")
    if raw:
        production_id = id_from(raw)
        if production_id is None:
            raise Http404
        return access.production_for_member(request.user, production_id)
    memberships = user_memberships(request.user)
    return memberships[0].production if len(memberships) == 1 else None


def filing_limited(request: HttpRequest) -> bool:
    """Each member may file MEMBER_FILING_RATE reports (10 a minute), named or anonymous alike: anyone
    with the poster's join code can become a member, and each report emails its level."""
    return is_ratelimited(request, group="report-file", key="user", rate=settings.MEMBER_FILING_RATE, increment=True)


def wants_json(request: HttpRequest) -> bool:
    """The page's offline outbox sends saved drafts asking for JSON (the report number, or what is wrong)."""
    return request.headers.get("Accept", "").startswith("application/json")


def form_errors_json(form: ReportForm, status: int = 400) -> JsonResponse:
    errors = [str(error) for error in form.non_field_errors()]
    for field in form:
        errors.extend(f"{field.label}: {error}" for error in field.errors)
    return JsonResponse({"errors": errors}, status=status)


def receipt_for(draft_key: object) -> Receipt:
    """A submission with a key gets the receipt derived from it, so a repeat shows the same code."""
    return receipt_for_key(draft_key) if draft_key is not None else receipt_new()  # type: ignore[arg-type]


@login_required
@require_http_methods(["GET", "POST"])
@joined_first(gettext_lazy("Join your production first: enter the code from the call sheet or the set poster."))
def report_new(request: HttpRequest) -> HttpResponse:
    memberships = user_memberships(request.user)
    production = _production_for_new_report(request)
    if production is None:
        return render(request, "incidents/report_production_pick.html", {"memberships": memberships})

    posted = request.method == "POST"
    form = ReportForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        production=production,
        user=request.user,
    )
    # A search for an earlier report is not a submission: not counted, never filed.
    limited = posted and not form.searching and filing_limited(request)
    if limited:
        form.is_valid()  # the errors of what was typed are shown too, and nothing typed is lost
        form.add_error(
            None,
            _(
                "You sent too many reports in a short time, so this one was not sent yet. Wait a minute and send "
                "it again: what you typed is kept below."
            ),
        )
    elif posted and not form.searching and form.is_valid():
        draft = form.draft()
        anonymous = draft.identity == Identity.ANONYMOUS
        # Not linked to the account: the receipt is the only way back, shown once and never stored
        # (it crosses the redirect in the signed receipt cookie, not in the account's session).
        receipt = receipt_for(draft.idempotency_key) if anonymous else None
        try:
            report = report_file(
                production=production,
                reporter=None if anonymous else request.user,
                draft=draft,
                receipt_hash=receipt.hash if receipt else None,
            )
        except ValidationError as exc:  # the key already filed someone else's report
            form.add_error(None, exc)
        else:
            form.kept_delete()
            if wants_json(request):
                response = JsonResponse(
                    {"report": report.pk, "url": report.get_absolute_url(), "receipt": receipt.code if receipt else ""}
                )
                add_never_cache_headers(response)
                return response
            if receipt is not None:
                return receipt_handoff.handoff_redirect(
                    code=receipt.code, report_id=report.pk, show_once=receipt_handoff.FILED_REPORT_FORM
                )
            return redirect("report_filed", report_id=report.pk)
    if posted and wants_json(request):
        return form_errors_json(form, status=429 if limited else 400)
    if posted:
        form.is_valid()  # a search for an earlier report checks only the files
        form.uploads_keep()  # refused or not sent yet: the files chosen come back as kept, not lost
    with timezone.override(production.tzinfo):
        return render(
            request,
            "incidents/report_form.html",
            {"form": form, "production": production, "several_productions": len(memberships) > 1},
            status=429 if limited else 200,
        )


def _is_live_round(report: Report) -> bool:
    """Told at once to the armorer, the safety coordinator and the producers (services.filing)."""
    return not report.is_stop_work and (
        report.category == Category.LIVE_AMMUNITION or report.ammunition == Ammunition.LIVE
    )


def stop_work_offer(report: Report, user: AnyUser | None) -> dict[str, Any] | None:
    """A live round: the confirmation offers "Call STOP WORK now", one tap, its reason naming the report.
    Only to a member who can call it (signed in), and only while no call stops the production already."""
    if not _is_live_round(report) or user is None or access.membership_in(user, report.production_id) is None:
        return None
    if Report.objects.active_stop_work().filter(production_id=report.production_id).exists():
        return None
    reason = _("Live round reported (report #%(number)s): %(title)s") % {"number": report.pk, "title": report.title}
    return {
        "production": report.production_id,
        "title": reason[:REASON_MAX_LENGTH],
        "description": _("See report #%(number)s.") % {"number": report.pk},
        "location": report.location,
        "identity": report.identity,
        "idempotency_key": str(uuid.uuid4()),
    }


def filed_context(report: Report, receipt_code: str = "", user: AnyUser | None = None) -> dict[str, Any]:
    """What the reporter is told after filing: who is told now, and when it climbs if nobody answers."""
    ladder = ladder_for(report.production)
    if report.is_stop_work:
        told_levels = list(ladder.levels)
    elif report.repeat_of_id:
        told_levels = [ladder.levels[0], ladder.levels[-1]]
    else:
        told_levels = [ladder.level(report.escalation_level)]
    next_number = ladder.next_number(report.escalation_level)
    people_told = Notification.objects.filter(
        report_id=report.pk,
        channel=Channel.IN_APP,
        event__kind__in=[EventKind.FILED, EventKind.STOP_WORK_CALLED],
    ).count()
    return {
        "report": report,
        "production": report.production,
        "told_levels": told_levels,
        "people_told": people_told,
        "next_level": ladder.level(next_number),
        "next_is_repeat": ladder.at_top(report.escalation_level),
        "top_reminders": ladder.top_reminders,
        "receipt_code": receipt_code,
        "live_round": _is_live_round(report),
        "stop_work_offer": stop_work_offer(report, user),
    }


@login_required
@require_GET
def report_filed(request: HttpRequest, report_id: int) -> HttpResponse:
    report = report_for_page(request.user, report_id)
    return render(request, "incidents/report_filed.html", filed_context(report, user=request.user))


def report_page(
    request: HttpRequest,
    report: Report,
    *,
    comment_form: CommentForm | None = None,
    resolve_form: ResolveForm | None = None,
    reopen_form: ReopenForm | None = None,
    extra_forms: dict[str, Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The report page, also re-rendered by the action views with a bound form and its errors."""
    user = request.user
    report_mark_viewed(report=report, user=user)
    notifications_mark_read(user=user, report_id=report.pk)
    ladder = ladder_for(report.production)
    is_handler = access.comments_as_handler(user, report)
    context = {
        **live_context(report, user, ladder),
        "reporter_label": access.reporter_label(report, user),
        "concerns_label": access.concerns_label(report),
        # Evidence that an action was done is shown with its action.
        "attachments": [a for a in report.attachments.all() if a.action_id is None],
        "can_resolve": access.can_resolve(user, report, ladder),
        "can_reopen": access.can_reopen(user, report),
        "can_comment": access.can_comment(user, report, ladder),
        "comment_form": comment_form or CommentForm(handler=is_handler),
        "resolve_form": resolve_form or ResolveForm(initial={"resolution": report.resolution}),
        "reopen_form": reopen_form or ReopenForm(),
        "open": report.status == ReportStatus.OPEN,
        **followup_context(request, report, extra_forms),
    }
    with timezone.override(report.production.tzinfo):
        return render(request, "incidents/report_detail.html", context, status=status)


@login_required
@require_GET
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = report_for_page(request.user, report_id)
    return report_page(request, report)


@login_required
@require_GET
def attachment_download(request: HttpRequest, report_id: int, attachment_id: int) -> FileResponse:
    """Photos shown inline, PDFs downloaded; only to people who may see the report, never a public URL."""
    attachment = access.attachment_for_viewer(request.user, report_id, attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    number = Attachment.objects.filter(report_id=attachment.report_id, pk__lte=attachment.pk).count()
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=attachment.download_name(number),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
