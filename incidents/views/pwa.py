"""The installable web app: its manifest, its service worker (served from the site root, so it controls
every page), the page shown offline, and the session facts the offline outbox asks for before it sends.

The service worker caches the app shell (the static files every page needs) under a name that carries
a hash of those files, so a deploy that changes any of them installs a new worker, which fills a new
cache and deletes the old ones. What works offline and what does not: README, "Offline and on phones".
"""

import hashlib
import json
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# Every page needs these; the report form needs them offline. Icons: the sizes browsers ask for.
SHELL_STATIC = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "css/safetrack.css",
    "js/pwa.js",
    "js/form_errors.js",
    "js/has_js.js",
    "js/outbox.js",
    "js/report_form.js",
    "js/offline_report.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/favicon-32.png",
)
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/icon-maskable-512.png", "512x512", "maskable"),
)
THEME_COLOUR = "#212529"  # the navbar's colour (Bootstrap's bg-dark)


@cache
def shell_version() -> str:
    """A hash of the shell's files as deployed: any change names a new cache (and a new worker)."""
    digest = hashlib.sha256()
    for name in SHELL_STATIC:
        digest.update(static(name).encode())
        path = finders.find(name)
        if path:
            with open(path, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:16]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    context = {
        "version": shell_version(),
        "shell": json.dumps([static(name) for name in SHELL_STATIC] + [reverse("offline")]),
        "outbox_js": json.dumps(static("js/outbox.js")),
        "offline_url": json.dumps(reverse("offline")),
        "cached_pages": json.dumps([reverse("home"), reverse("report_new"), reverse("javascript-catalog")]),
        "static_prefix": json.dumps(settings.STATIC_URL),
        "logout_url": json.dumps(reverse("logout")),
    }
    response = render(request, "pwa/sw.js", context, content_type="text/javascript; charset=utf-8")
    # The browser checks for a new worker on navigations; it must never be served from a cache.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": "SafeTrack",
        "short_name": "SafeTrack",
        "description": _("Report a firearm or safety concern on set, even without signal."),
        "id": reverse("home"),
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": static(path), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for path, sizes, purpose in ICONS
        ],
        "shortcuts": [{"name": _("Report a concern"), "url": reverse("report_new")}],
    }
    response = JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "max-age=3600"
    return response


@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask /favicon.ico whatever the page says; the file lives with the other static files."""
    response = HttpResponseRedirect(static("icons/favicon.ico"))
    response["Cache-Control"] = "max-age=86400"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker for a page it has no copy of while there is no signal."""
    return render(request, "pwa/offline.html")


@require_GET
@never_cache
def offline_session(request: HttpRequest) -> JsonResponse:
    """Who is logged in here and a fresh CSRF token: the outbox sends a phone's saved reports only for
    the person who saved them, with a token that is valid now (a cached page's may not be)."""
    if not request.user.is_authenticated:
        return JsonResponse({"user": None}, status=401)
    return JsonResponse({"user": request.user.pk, "csrf": get_token(request)})
