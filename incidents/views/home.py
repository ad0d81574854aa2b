from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.services import user_memberships
from incidents import access
from incidents.selectors.followup import actions_owned_by, actions_to_verify
from incidents.selectors.home import waiting_for
from incidents.services.sweeper import SWEEPER, heartbeat_at
from safetrack.celery import app


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    memberships = user_memberships(request.user) if request.user.is_authenticated else []
    recent = []
    if request.user.is_authenticated:
        recent = list(
            access.reports_visible_to(request.user)
            .filter(reporter=request.user)
            .select_related("production")
            .order_by("-created_at")[:5]
        )
    waiting = waiting_for(request.user, timezone.now()) if request.user.is_authenticated else None
    # Corrective actions: the ones this person owns (overdue first), and those they may verify.
    your_actions = actions_owned_by(request.user.pk) if memberships else []
    to_verify = actions_to_verify(request.user) if waiting is not None and waiting.handles else []
    return render(
        request,
        "incidents/home.html",
        {
            "memberships": memberships,
            "recent_reports": recent,
            "waiting": waiting,
            "your_actions": your_actions,
            "actions_to_verify": to_verify,
        },
    )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, broker and the sweeper's last run: 200 when all are fine, 503 otherwise."""
    checks: dict[str, object] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # the health page reports failures, it does not raise them
        checks["database"] = f"error: {exc.__class__.__name__}"
        healthy = False
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:  # same as above
        checks["broker"] = f"error: {exc.__class__.__name__}"
        healthy = False
    last = heartbeat_at(SWEEPER) if checks["database"] == "ok" else None
    checks["sweeper_last_run"] = last.isoformat() if last else None
    if last is not None:
        age = (timezone.now() - last).total_seconds()
        checks["sweeper_age_seconds"] = round(age, 1)
        # Late after six missed sweeps (a minute at least): beat or every worker is down, and due
        # reports now wait for their ETA tasks alone. Reported, but the web process stays healthy.
        checks["sweeper"] = "ok" if age < max(60, 6 * settings.SWEEP_INTERVAL_SECONDS) else "late"
    else:
        checks["sweeper"] = "never ran"
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)
