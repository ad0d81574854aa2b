"""The in-app inbox: the user's notifications, newest first, each linking to its report."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from incidents import selectors
from incidents.notifications.message import message_for
from incidents.services.inbox import notifications_mark_read

PAGE_SIZE = 25


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = selectors.inbox_for(request.user).select_related("recipient")
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    language = translation.get_language()  # the page's language: the switcher's choice wins over the account's
    items = [(notification, message_for(notification, language=language)) for notification in page]
    return render(request, "incidents/inbox.html", {"page": page, "items": items})


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read (`notification`), or all of them (`all`). Others' are never touched."""
    raw = request.POST.get("notification", "")
    if raw.isdigit():
        notifications_mark_read(user=request.user, notification_id=int(raw))
    elif request.POST.get("all"):
        count = notifications_mark_read(user=request.user)
        if count:
            messages.success(request, _("All notifications marked read."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    return redirect(next_url or "inbox")
