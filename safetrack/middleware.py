import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _


class RejectNulBytesMiddleware:
    """A NUL byte in the path or the query string is never legitimate, and PostgreSQL refuses it in any
    text comparison: answer 400 here instead of a 500 from whichever view or admin filter meets it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            "\x00" in request.path
            or "\x00" in request.META.get("QUERY_STRING", "")
            or "%00" in request.META.get("QUERY_STRING", "")
        ):
            return HttpResponseBadRequest(_("This address contains a character that is not allowed."))
        return self.get_response(request)


# C0 controls (NUL, BEL, ESC, ...), DEL and the C1 controls: never part of a header a browser sends.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def without_control_characters(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)


class StripControlCharactersMiddleware:
    """Control characters are removed from every request header before anything stores one.

    django-axes writes the User-Agent and Accept headers of each failed login to the database, and
    PostgreSQL refuses a NUL byte in text: the login answered 500 and the failure was not counted, so a
    NUL in every guess dodged the lockout. Cleaning (rather than refusing) keeps the attempt counted."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key, value in list(request.META.items()):
            if key.startswith("HTTP_") and isinstance(value, str) and CONTROL_CHARACTERS.search(value):
                request.META[key] = without_control_characters(value)
        return self.get_response(request)


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The username django-axes records for a login attempt (AXES_USERNAME_CALLABLE), control characters
    removed: "crew@example.com\\x00" counts against crew@example.com instead of answering 500."""
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get(settings.AXES_USERNAME_FORM_FIELD) if source else None
    return without_control_characters(username) if isinstance(username, str) else username
