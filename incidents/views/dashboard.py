"""Work in progress: see the issue that builds these views."""

from django.http import Http404, HttpRequest, HttpResponse


def dashboard(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def queue_fragment(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def export_csv(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def investigation_record(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def investigation_pdf(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
