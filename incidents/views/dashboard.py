"""The handlers' dashboard (what needs me now), its polled queue fragment, and the exports: the queue as
CSV and one report's investigation record as a printable page and a PDF."""

import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import Production
from accounts.services import CURRENT_PRODUCTION_KEY, current_production_set, user_memberships
from incidents import access
from incidents.forms.dashboard import QueueFilterForm
from incidents.ladder import Ladder, ladder_for
from incidents.models import Report
from incidents.reporting import charts, exports, stats
from incidents.reporting.record_pdf import record_pdf
from incidents.selectors.dashboard import dashboard_queue
from incidents.selectors.followup import actions_open_in
from safetrack.ids import id_from

QUEUE_TEMPLATE = "incidents/dashboard_queue.html"
WEEKLY_CHARTS_TEMPLATE = "incidents/dashboard_charts.html"
logger = logging.getLogger(__name__)

# The polling script swaps the lists only for a response that carries this header (not a login page).
FRAGMENT_HEADER = "X-SafeTrack-Fragment"
POLL_SECONDS = 5


def _requested_production_id(request: HttpRequest) -> int | None:
    raw = request.GET.get("production", "").strip()
    if not raw:
        return None
    production_id = id_from(raw)
    if production_id is None:
        raise Http404
    return production_id


def _production(request: HttpRequest) -> Production:
    return access.production_for_dashboard(
        request.user, _requested_production_id(request), request.session.get(CURRENT_PRODUCTION_KEY)
    )


def _filters(request: HttpRequest) -> tuple[QueueFilterForm, dict[str, Any]]:
    bound = any(name in request.GET for name in QueueFilterForm.base_fields)
    form = QueueFilterForm(request.GET if bound else None)
    return form, form.filters()


def _queue_context(
    request: HttpRequest, production: Production, filters: dict[str, Any], ladder: Ladder
) -> dict[str, Any]:
    query = urlencode({"production": production.pk, **filters})
    queue = dashboard_queue(
        production=production, viewer=request.user, filters=filters, now=timezone.now(), ladder=ladder
    )
    return {
        "production": production,
        "viewer": request.user,
        "queue": queue,
        "query": query,
        "next_url": f"{reverse('dashboard')}?{query}",
        "filtered": bool(filters),
    }


def _weekly_charts_html(production: Production, now: datetime) -> SafeString:
    """The three weekly pictures, rendered once per production, week and language and kept in the
    shared cache for a couple of minutes: they hold only production-wide numbers, the same for every
    handler, and they are the costly part of the page. A cache that is down only costs the work."""
    week = stats.week_start(timezone.localtime(now, production.tzinfo).date())
    key = f"safetrack:dashboard-trends:{production.pk}:{production.timezone}:{week}:{translation.get_language()}"
    try:
        html = cache.get(key)
    except Exception:  # a cache outage must not take the dashboard down
        logger.warning("dashboard trends cache unavailable", exc_info=True)
        html = None
    if html is None:
        series = stats.weekly_series(production=production, now=now)
        html = render_to_string(WEEKLY_CHARTS_TEMPLATE, {"charts": charts.weekly_charts(series)})
        try:
            cache.set(key, html, stats.TRENDS_CACHE_SECONDS)
        except Exception:  # same as above
            logger.warning("dashboard trends cache unavailable", exc_info=True)
    return mark_safe(html)  # noqa: S308 -- our own template's output, escaped when rendered


@login_required
@require_GET
@never_cache
def dashboard(request: HttpRequest) -> HttpResponse:
    production = _production(request)
    if _requested_production_id(request) is not None and request.session.get(CURRENT_PRODUCTION_KEY) != production.pk:
        current_production_set(request, production)
    form, filters = _filters(request)
    ladder = ladder_for(production)
    context = _queue_context(request, production, filters, ladder)
    now = context["queue"].now
    handled = [m for m in user_memberships(request.user) if m.is_handler]
    context.update(
        {
            "form": form,
            "levels_chart": charts.levels_chart(stats.open_by_level(production=production, ladder=ladder)),
            "weekly_charts": _weekly_charts_html(production, now),
            "handled_memberships": handled,
            "corrective_actions": actions_open_in(production.pk),
            "poll_seconds": POLL_SECONDS,
            "fragment_url": f"{reverse('dashboard_queue')}?{context['query']}",
            "export_url": f"{reverse('dashboard_export_csv')}?{context['query']}",
        }
    )
    with timezone.override(production.tzinfo):
        return render(request, "incidents/dashboard.html", context)


@login_required
@require_GET
@never_cache
def queue_fragment(request: HttpRequest) -> HttpResponse:
    """The dashboard's lists alone, for the polling script. Rendered without the site's context
    processors (no navbar here), so each poll costs only the queue's own queries."""
    production = _production(request)
    _form, filters = _filters(request)
    context = _queue_context(request, production, filters, ladder_for(production))
    context["csrf_token"] = get_token(request)
    with timezone.override(production.tzinfo):
        html = get_template(QUEUE_TEMPLATE).render(context)
    response = HttpResponse(html)
    response[FRAGMENT_HEADER] = "queue"
    return response


@login_required
@require_GET
@never_cache
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    production = _production(request)
    _form, filters = _filters(request)
    now = timezone.now()
    lines = exports.queue_csv(production=production, viewer=request.user, filters=filters, now=now)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exports.csv_filename(production, now)}"'
    return response


def _record(request: HttpRequest, report_id: int) -> exports.InvestigationRecord:
    queryset = Report.objects.select_related(*exports.RECORD_RELATED)
    report = access.report_for_investigator(request.user, report_id, queryset)
    return exports.record_build(report=report, viewer=request.user)


@login_required
@require_GET
@never_cache
def investigation_record(request: HttpRequest, report_id: int) -> HttpResponse:
    record = _record(request, report_id)
    with timezone.override(record.production.tzinfo):
        return render(request, "incidents/record.html", {"record": record, "report": record.report})


@login_required
@require_GET
@never_cache
def investigation_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    record = _record(request, report_id)
    # Tests turn compression off to read the text back; production keeps the PDF small.
    data = record_pdf(record, compress=getattr(settings, "PDF_COMPRESSION", True))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="safetrack-report-{record.report.pk}.pdf"'
    return response
