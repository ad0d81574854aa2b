"""The app's URLs plus one bare view: the framework's floor for bench/http.py (never in the app).

`/bench/bare/` runs through the same middleware as every page (session, authentication, CSRF, the
production time zone, axes, CSP), then does the least a view can: one INSERT into a table of its own
on POST (then redirects, as filing does), one SELECT on GET."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path

BARE_TABLE = "bench_bare"


@login_required
def bare(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        if request.method == "POST":
            cursor.execute(
                f"INSERT INTO {BARE_TABLE} (title, created_at) VALUES (%s, now())",  # noqa: S608 - a constant
                [request.POST.get("title", "")[:200]],
            )
            return HttpResponseRedirect("/")
        cursor.execute("SELECT 1")
        return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("", include("safetrack.urls")),
]
