"""Reporting without an account, and following up with a receipt.

Nothing here may identify the reporter: no session is created or read, no message is stored, nothing
is logged, and neither the client's address nor its user agent is passed on (the rate limits keep only
a hash of the address, in the cache, for the length of their window). Receipt codes travel in POST
bodies and, across the redirect after a POST, in a short-lived signed cookie (receipt_handoff), never in
a URL, so they do not land in access logs or browser history. Every form here posts, redirects and
gets: reloading a page never files, replies or reopens twice.
"""

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from accounts.models import Production
from accounts.services import production_for_join_code
from incidents import access
from incidents.forms.anonymous import (
    STARTED_FIELD,
    AnonymousReportForm,
    ReceiptForm,
    ReceiptReplyForm,
    started_token_spend,
)
from incidents.forms.handling import ReopenForm
from incidents.ladder import ladder_for
from incidents.mail_address import reporting_address
from incidents.models import Event, Report, ReportStatus
from incidents.services.filing import report_file
from incidents.services.handling import report_comment, report_reopen
from incidents.services.receipt import receipt_for_key, receipt_new, report_for_receipt

from . import receipt_handoff as handoff
from .reports import filed_context

ANONYMOUS_RATE = "10/h"  # per production and client
RECEIPT_RATE = "60/h"  # per client: look-ups, replies and reopenings together


def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


def _production_for_code(join_code: str) -> Production:
    production = production_for_join_code(join_code)
    if production is None:
        raise Http404
    return production


@require_http_methods(["GET", "POST"])
def anonymous_new(request: HttpRequest, join_code: str) -> HttpResponse:
    production = _production_for_code(join_code)
    form = AnonymousReportForm(request.POST or None, request.FILES or None, production=production)
    context = {"form": form, "production": production}
    if request.method == "POST":
        if is_ratelimited(
            request, group=f"anonymous-report:{production.pk}", key="ip", rate=ANONYMOUS_RATE, increment=True
        ):
            context["limited"] = True
            return _no_store(render(request, "incidents/anonymous_new.html", context, status=429))
        if form.is_valid() and not started_token_spend(
            form.data.get(STARTED_FIELD, ""), submission_key=form.cleaned_data.get("idempotency_key")
        ):
            form.add_error(
                None,
                _(
                    "This form already sent a report. If this is another concern, check it and send it again: "
                    "what you typed is kept below."
                ),
            )
        elif form.is_valid():
            draft = form.draft()
            # Derived from the submission's key when there is one, so a repeat shows the same code.
            receipt = receipt_for_key(draft.idempotency_key) if draft.idempotency_key else receipt_new()
            try:
                report = report_file(production=production, reporter=None, draft=draft, receipt_hash=receipt.hash)
            except ValidationError as exc:  # the key already filed another report
                form.add_error(None, exc)
                form.uploads_keep()
                return _no_store(render(request, "incidents/anonymous_new.html", context))
            form.kept_delete()
            return handoff.handoff_redirect(
                code=receipt.code, report_id=report.pk, show_once=handoff.FILED_ANONYMOUS_PAGE
            )
        form.uploads_keep()  # refused: the files chosen come back as kept, not lost
    return _no_store(render(request, "incidents/anonymous_new.html", context))


def _public_events(report: Report) -> QuerySet[Event]:
    return report.events.filter(public=True).select_related("actor").order_by("seq")


def _status_page(
    request: HttpRequest,
    report: Report,
    code: str,
    reply: ReceiptReplyForm | None = None,
    reopen: ReopenForm | None = None,
    done: str = "",
) -> HttpResponse:
    with timezone.override(report.production.tzinfo):
        response = render(
            request,
            "incidents/receipt_status.html",
            {
                "report": report,
                "events": list(_public_events(report)),
                "receipt": code,
                "reply_form": reply or ReceiptReplyForm(),
                # A refused reopening is shown with its message even when the report is open again
                # (reopened from another tab): what was typed and why it was refused are not lost.
                "reopen_form": reopen
                if reopen is not None
                else (ReopenForm() if report.status == ReportStatus.RESOLVED else None),
                "done": done,
                "remember_minutes": handoff.RECEIPT_HANDOFF_SECONDS // 60,
            },
        )
    return _no_store(response)


def _filed_page(request: HttpRequest, report: Report, held: handoff.Handoff) -> HttpResponse:
    """The page of the form that filed the report, with its code: shown once, after the redirect."""
    production = report.production
    if held.show_once == handoff.FILED_REPORT_FORM:
        # A member filing anonymously from their account: a live round still offers the one-tap stop-work
        # (itself anonymous: the call is not linked to the account either).
        template, context = "incidents/report_filed.html", filed_context(report, held.code, request.user)
    elif held.show_once == handoff.FILED_STOP_WORK:
        template = "incidents/stop_work_called.html"
        context = {"report": report, "production": production, "receipt": held.code, "ladder": ladder_for(production)}
    else:
        template = "incidents/anonymous_filed.html"
        context = {"report": report, "production": production, "receipt": held.code}
    with timezone.override(production.tzinfo):
        return _no_store(render(request, template, context))


DONE = {
    handoff.REPLIED: lambda: _("Your reply was sent to the handlers."),
    handoff.REOPENED: lambda: _("Your report is open again and the handlers were told."),
}


def _receipt_get(request: HttpRequest) -> HttpResponse:
    held = handoff.handoff_get(request)
    report = None
    if held is not None:
        report = (
            Report.objects.select_related("production", "acknowledged_by", "resolved_by")
            .filter(pk=held.report_id, receipt_hash__isnull=False)
            .first()
        )
    if held is None or report is None:
        lookup = ReceiptForm(initial={"production": request.GET.get("production", "")[:32]})
        response = _no_store(render(request, "incidents/receipt.html", {"form": lookup}))
        # A forged, expired or stale cookie is dropped.
        return handoff.handoff_forget(response) if handoff.COOKIE in request.COOKIES else response
    if held.show_once in handoff.FILED:
        response = _filed_page(request, report, held)
    else:
        response = _status_page(request, report, held.code, done=DONE[held.show_once]() if held.show_once else "")
    # Shown once: a reload shows the follow-up page, without the code or the confirmation.
    return handoff.handoff_set(response, code=held.code, report_id=report.pk)


@require_http_methods(["GET", "POST"])
def receipt(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _receipt_get(request)
    action = request.POST.get("action", "view")
    if action == "forget":
        return handoff.handoff_forget(_no_store(HttpResponseRedirect(reverse("receipt"), status=303)))
    lookup = ReceiptForm(request.POST)
    if is_ratelimited(request, group="receipt", key="ip", rate=RECEIPT_RATE, increment=True):
        return _no_store(render(request, "incidents/receipt.html", {"form": lookup, "limited": True}, status=429))
    if not lookup.is_valid():
        return _no_store(render(request, "incidents/receipt.html", {"form": lookup}))
    code = lookup.cleaned_data["receipt"]
    report = report_for_receipt(code, join_code=lookup.cleaned_data["production"])
    if report is None:
        lookup.add_error("receipt", _("No report matches this receipt code. Check the code and try again."))
        return _no_store(render(request, "incidents/receipt.html", {"form": lookup}))
    if action == "reply":
        reply = ReceiptReplyForm(request.POST)
        if reply.is_valid():
            try:
                report_comment(report_id=report.pk, user=None, body=reply.cleaned_data["body"])
            except ValidationError as exc:
                reply.add_error("body", exc)
            else:
                return handoff.handoff_redirect(code=code, report_id=report.pk, show_once=handoff.REPLIED)
        return _status_page(request, report, code, reply=reply)
    if action == "reopen":
        reopen = ReopenForm(request.POST)
        if reopen.is_valid():
            try:
                report = report_reopen(report_id=report.pk, user=None, reason=reopen.cleaned_data["reason"])
            except ValidationError as exc:
                reopen.add_error("reason", exc)
            else:
                return handoff.handoff_redirect(code=code, report_id=report.pk, show_once=handoff.REOPENED)
        return _status_page(request, report, code, reopen=reopen)
    return handoff.handoff_redirect(code=code, report_id=report.pk)


@login_required
@require_GET
def poster(request: HttpRequest, production_id: int) -> HttpResponse:
    production = access.production_for_poster(request.user, production_id)
    url = settings.SITE_URL + reverse("anonymous_new", args=[production.join_code])
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=8, omitsize=True, svgclass="poster-qr", lineclass=None, title=url)
    return render(
        request,
        "incidents/poster.html",
        # segno builds the SVG from the URL alone (escaped in its title): no user text reaches it.
        {
            "production": production,
            "url": url,
            "reporting_address": reporting_address(production),
            "qr_svg": mark_safe(svg),  # noqa: S308
            # The crew reads it in both languages whatever the handler's own: one sheet, both texts.
            "poster_languages": [code for code, _name in settings.LANGUAGES],
        },
    )
