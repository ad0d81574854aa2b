from django.http import HttpRequest

from incidents import access
from incidents.selectors.inbox import unread_count
from incidents.selectors.reports import BANNER_LIMIT, active_stop_work_seen_by


def stop_work_and_inbox(request: HttpRequest) -> dict[str, object]:
    """On every page: the stop-work banners of the user's productions and the unread inbox count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Every page shows the banners: a bounded number, and a pointer to the rest (the query is shared with
    # the dashboard's list of calls: one per request).
    banners = active_stop_work_seen_by(user)
    more_banners = len(banners) > BANNER_LIMIT
    banners = banners[:BANNER_LIMIT]
    for banner in banners:
        # Crew who did not call it cannot open the report: "details" is then the production page's account
        # of the call, with who to ask.
        banner.viewer_can_open = access.can_view_report(user, banner)
        banner.details_url = (
            banner.get_absolute_url()
            if banner.viewer_can_open
            else f"{banner.production.get_absolute_url()}#stop-work-{banner.pk}"
        )
        banner.viewer_can_lift = access.can_lift_stop_work(user, banner)
    return {
        "stop_work_banners": banners,
        "more_stop_work_banners": more_banners,
        "inbox_unread": unread_count(user),
    }
