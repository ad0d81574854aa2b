from django.http import HttpRequest

from incidents.selectors import navbar_context


def memberships(request: HttpRequest) -> dict[str, object]:
    """The navbar's productions, the stop-work banners and the unread inbox count, on every page."""
    return navbar_context(request)
