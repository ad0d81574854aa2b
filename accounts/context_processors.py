from django.http import HttpRequest

from .services import current_production, user_memberships


def memberships(request: HttpRequest) -> dict[str, object]:
    """The navbar's productions: the user's memberships, the production they work in, and whether they
    handle reports anywhere (the dashboard link). The stop-work banners and the inbox count come from
    incidents.context_processors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = user_memberships(user)
    return {
        "my_memberships": memberships,
        "current_production": current_production(request),
        "is_handler_anywhere": any(m.is_handler for m in memberships),
    }
