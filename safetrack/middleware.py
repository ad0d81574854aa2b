from collections.abc import Callable

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
