"""What moves on a report's page (its status, level, the acknowledge button and the latest trail entries),
shared by the page and by the fragment its script polls, so both show the same markup.

The page works without the script (reload to see it move). With it, static/js/report_live.js fetches
the fragment every few seconds and swaps each [data-part] in place, with the dashboard's rules: paused
while the tab is hidden, never under someone typing or with a confirmation open, announced to screen
readers. The fragment is rendered without the site's context processors (no navbar), reads nothing
the page would not, and writes nothing: polling neither marks the report viewed nor the inbox read.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import User
from incidents import access
from incidents.ladder import Ladder, ladder_for, level_words
from incidents.models import Report
from incidents.selectors.last_alert import top_alert_of
from incidents.selectors.reports import report_people_attach
from incidents.selectors.timeline import TimelineEntry, report_timeline

from .dashboard import FRAGMENT_HEADER, POLL_SECONDS

LIVE_TEMPLATE = "incidents/includes/report_live.html"
# The newest entries shown at once; the rest are one tap away under "Show earlier".
LATEST_ENTRIES = 5


def report_for_page(user: User, report_id: int) -> Report:
    """The report for its page (or its polled fragment) if the user may see it, with its production and
    the people the page names; 404 otherwise."""
    return report_people_attach(access.report_for_viewer(user, report_id))  # with its production


def live_context(report: Report, user: User, ladder: Ladder) -> dict[str, Any]:
    """The moving parts of a report's page for this viewer: newest trail entries first."""
    entries = list(reversed(report_timeline(report, user)))
    latest: TimelineEntry | None = entries[0] if entries else None
    level = level_words(ladder, report)
    at_top = ladder.at_top(report.escalation_level)
    reminders_left = max(ladder.top_reminders - report.reminder_count, 0)
    return {
        "report": report,
        "production": report.production,
        "is_handler": access.comments_as_handler(user, report),
        "level_label": level,
        "at_top": at_top,
        # At the top, what its deadline brings: another reminder, or (the last one used) the admins.
        "reminders_left": reminders_left,
        # Whom the last safety net reached (or will reach): the status says what really happened.
        "top_alert": top_alert_of(report, at_top=at_top, last_deadline=not reminders_left),
        "can_acknowledge": access.can_acknowledge(user, report, ladder),
        "timeline_latest": entries[:LATEST_ENTRIES],
        "timeline_earlier": entries[LATEST_ENTRIES:],
        "live": {
            "status": report.status,
            "level": f"{report.escalation_level}.{report.reminder_count}",
            "latest_seq": latest.event.seq if latest else 0,
            # What a screen reader says when it changes (the script picks the one that did).
            "status_text": _("Status: %(status)s.") % {"status": report.get_status_display()},
            "level_text": _("Now at %(level)s.") % {"level": level},
            "latest_text": _("New in the trail: %(headline)s.") % {"headline": latest.headline} if latest else "",
        },
        "poll_seconds": POLL_SECONDS,
    }


@login_required
@require_GET
@never_cache
def report_live(request: HttpRequest, report_id: int) -> HttpResponse:
    report = report_for_page(request.user, report_id)
    context = live_context(report, request.user, ladder_for(report.production_id))
    context["csrf_token"] = get_token(request)
    context["request"] = request  # for the tags that name people as this viewer may know them
    with timezone.override(report.production.tzinfo):
        html = get_template(LIVE_TEMPLATE).render(context)
    response = HttpResponse(html)
    response[FRAGMENT_HEADER] = "report"
    return response
