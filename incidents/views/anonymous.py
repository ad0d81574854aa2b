"""Work in progress: see the issue that builds these views."""

from django.http import Http404, HttpRequest, HttpResponse


def anonymous_new(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def receipt(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def poster(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
