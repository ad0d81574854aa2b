from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incidents import access
from incidents.ladder import ladder_for, levels_reaching_nobody
from incidents.mail_address import reporting_address
from incidents.selectors.productions import production_members
from incidents.selectors.reports import active_stop_work_seen_by, recently_lifted_stop_work, stop_work_contacts


@login_required
@require_GET
def production_detail(request: HttpRequest, production_id: int) -> HttpResponse:
    """A production for its members: how to report; for handlers also the join code, the poster,
    the escalation ladder and the crew list."""
    production = access.production_for_member(request.user, production_id)
    membership = access.membership_in(request.user, production_id)
    is_handler = access.is_handler_in(request.user, production_id)
    stop_work = active_stop_work_seen_by(request.user, production.pk)  # the banner's query too
    for call in stop_work:
        call.viewer_can_open = access.can_view_report(request.user, call)
    ladder = ladder_for(production) if is_handler else None
    members = list(production_members(production)) if is_handler else []
    context = {
        "production": production,
        "membership": membership,
        "is_handler": is_handler,
        "stop_work": stop_work,
        "stop_work_contacts": stop_work_contacts(production) if stop_work else [],
        # Where a member told "Stop-work lifted" reads who lifted it, when, and the clearance.
        "lifted_stop_work": recently_lifted_stop_work(production.pk),
        "ladder": ladder,
        "members": members,
        "levels_reaching_nobody": levels_reaching_nobody(ladder, members) if ladder else [],
        "reporting_address": reporting_address(production),
    }
    return render(request, "incidents/production_detail.html", context)
