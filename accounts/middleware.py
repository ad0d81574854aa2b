from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.services import current_production


class ProductionTimezoneMiddleware:
    """Show times in the time zone of the production the user is working in (the one picked last,
    else their first). Pages about one report switch to that report's production explicitly."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        production = current_production(request)
        if production is not None:
            timezone.activate(production.tzinfo)
        else:
            timezone.deactivate()
        return self.get_response(request)
