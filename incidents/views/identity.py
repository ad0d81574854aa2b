"""Work in progress: see the issue that builds these views."""

from django.http import Http404, HttpRequest, HttpResponse


def reveal(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
