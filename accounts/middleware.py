from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

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


class UserLanguageMiddleware:
    """Signed-in people get their own language (User.language) unless they picked one in this browser
    with the language switcher (the cookie wins). Runs after LocaleMiddleware and authentication."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.language != translation.get_language()
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
