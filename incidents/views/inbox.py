"""The in-app inbox: the user's notifications, newest first, each linking to its report."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from incidents.notifications.message import message_for
from incidents.selectors.inbox import inbox_for
from incidents.services.inbox import notifications_mark_read
from safetrack.http import safe_next
from safetrack.ids import id_from

PAGE_SIZE = 25


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    notifications = inbox_for(request.user).select_related("recipient")
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    language = translation.get_language()  # the page's language: the switcher's choice wins over the account's
    for notification in page:
        notification.recipient = request.user  # one user object: their memberships are read once
    items = [(notification, message_for(notification, language=language)) for notification in page]
    return render(request, "incidents/inbox.html", {"page": page, "items": items})


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read (`notification`), or all of them (`all`). Others' are never touched."""
    notification_id = id_from(request.POST.get("notification", ""))
    if notification_id is not None:
        notifications_mark_read(user=request.user, notification_id=notification_id)
    elif request.POST.get("all"):
        count = notifications_mark_read(user=request.user)
        if count:
            messages.success(request, _("All notifications marked read."))
    return redirect(safe_next(request, request.POST.get("next")) or "inbox")
