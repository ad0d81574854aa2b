"""Work in progress: see the issue that builds these views."""

from django.http import Http404, HttpRequest, HttpResponse


def stop_work_new(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def stop_work_lift(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
