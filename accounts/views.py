from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from safetrack.http import safe_next

from .forms import JoinForm, SignupForm
from .services import (
    current_production_set,
    login_lockout_lift,
    membership_join,
    production_for_join_code,
    user_memberships,
)


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate="10/h", method="POST", block=False)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if getattr(request, "limited", False):
            form.add_error(None, _("Too many sign-ups from this network. Try again in an hour."))
            return render(request, "accounts/signup.html", {"form": form}, status=429)
        if form.is_valid():
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to SafeTrack. Join your production with its code."))
            return redirect(safe_next(request, request.GET.get("next")) or "home")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def join_enter(request: HttpRequest) -> HttpResponse:
    code = "".join(ch for ch in request.POST.get("join_code", "") if ch.isalnum()).upper()
    if code:
        return redirect("join", join_code=code)
    return render(request, "accounts/join_enter.html", {"error": request.method == "POST"})


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user_or_ip", rate="30/h", method=ratelimit.ALL, block=False)
def join(request: HttpRequest, join_code: str) -> HttpResponse:
    if getattr(request, "limited", False):
        return render(request, "accounts/join_enter.html", {"limited": True}, status=429)
    production = production_for_join_code(join_code)
    if production is None:
        return render(request, "accounts/join_enter.html", {"unknown": True, "code": join_code[:40]}, status=404)
    already = any(m.production_id == production.pk for m in user_memberships(request.user))
    form = JoinForm(request.POST or None)
    if request.method == "POST" and not already and form.is_valid():
        membership_join(user=request.user, production=production, department=form.cleaned_data["department"])
        current_production_set(request, production)
        messages.success(request, _("You joined %(production)s.") % {"production": production.name})
        return redirect("home")
    if already and request.method == "POST":
        messages.info(request, _("You are already a member of %(production)s.") % {"production": production.name})
        return redirect("home")
    return render(request, "accounts/join.html", {"form": form, "production": production, "already": already})


@login_required
@require_http_methods(["POST"])
def switch_production(request: HttpRequest, production_id: int) -> HttpResponse:
    for membership in user_memberships(request.user):
        if membership.production_id == production_id:
            current_production_set(request, membership.production)
            break
    return redirect(safe_next(request, request.POST.get("next")) or "home")


@require_http_methods(["POST"])
def language_set(request: HttpRequest) -> HttpResponse:
    """The language switcher: remembered in the browser, and on the account (emails use it too)."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return i18n_views.set_language(request)


class UnlockingPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password also lifts the lockout after repeated wrong passwords: the lockout page
    sends a person here as the way out, and a crew member on set must be able to report in their name."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        login_lockout_lift(form.user)
        return response
