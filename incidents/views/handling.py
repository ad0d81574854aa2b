"""Work in progress: see the issue that builds these views."""

from django.http import Http404, HttpRequest, HttpResponse


def acknowledge(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def acknowledge_link(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def comment(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def resolve(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def reopen(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
