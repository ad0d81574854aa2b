"""Error pages in the site's layout, in plain words, each with a way back.

403, 404, 429 and a refused CSRF check come from a request that otherwise works, so they use the full
layout (navbar, banners, language switcher). 400 and 500 may come from a request the site cannot read
or from a database that is down: Django renders their templates without a request, and they extend
errors/standalone.html, which reads nothing but static files and translations.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django_ratelimit.exceptions import Ratelimited

from safetrack.http import safe_next


def _back(request: HttpRequest) -> str:
    """The page the person came from, when it is one of ours (never another site's), else ""."""
    back = safe_next(request, request.META.get("HTTP_REFERER"))
    return "" if back == request.build_absolute_uri() else back


def _page(request: HttpRequest, template: str, status: int, **context: object) -> HttpResponse:
    response = render(request, template, {"back": _back(request), **context}, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, Ratelimited):
        return too_many_requests(request, exception)
    # The views raise PermissionDenied with a sentence for the person ("Only a producer ... can lift ...").
    reason = str(exception) if isinstance(exception, PermissionDenied) and exception.args else ""
    # The admin refuses to delete what the trail points at (people, reports, productions): no role is missing.
    in_admin = request.path.startswith(reverse("admin:index"))
    return _page(request, "errors/403.html", 403, reason=reason, in_admin=in_admin)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "errors/404.html", 404)


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "errors/429.html", 429)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(request, "errors/403_csrf.html", 403)
