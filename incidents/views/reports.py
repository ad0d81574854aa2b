"""Work in progress: see the issue that builds these views."""

from django.http import Http404, HttpRequest, HttpResponse


def report_list(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def report_new(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def report_detail(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def report_filed(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def attachment_download(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
