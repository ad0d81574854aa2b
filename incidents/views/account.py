"""The account page: push notifications on this phone, a mobile number for text messages (verified by a
code sent to it), and the channels chosen per severity."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from incidents.forms.account import CHOOSABLE_SEVERITIES, ChannelsForm, PhoneCodeForm, PhoneForm
from incidents.models import ChannelPreference, PhoneNumber, PushSubscription
from incidents.notifications.push import vapid_public_key
from incidents.selectors.contacts import sms_configured
from incidents.services.contacts import (
    channels_choose,
    phone_code_send,
    phone_remove,
    phone_verify,
    push_subscribe,
    push_unsubscribe,
)


def _chosen(request: HttpRequest) -> dict[str, list[str]]:
    preference = ChannelPreference.objects.filter(user=request.user).first()
    return preference.by_severity if preference else {}


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    # Bound on every POST: unticking every box sends no field at all, which must still save.
    form = ChannelsForm(request.POST if request.method == "POST" else None, chosen=_chosen(request))
    if request.method == "POST" and form.is_valid():
        channels_choose(user=request.user, by_severity=form.by_severity())
        messages.success(request, _("Saved. Critical reports and stop-work calls still reach you on every channel."))
        return redirect("account")
    return _page(request, form=form, status=400 if form.errors else 200)


def _page(
    request: HttpRequest,
    *,
    form: ChannelsForm | None = None,
    phone_form: PhoneForm | None = None,
    code_form: PhoneCodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    form = form or ChannelsForm(chosen=_chosen(request))
    phone = PhoneNumber.objects.filter(user=request.user).first()
    context = {
        "form": form,
        "severities": [form[severity] for severity in CHOOSABLE_SEVERITIES],
        "subscriptions": PushSubscription.objects.filter(user=request.user),
        "vapid_public_key": vapid_public_key(),
        "has_email": bool(request.user.email),
        "sms_available": sms_configured(),
        "phone": phone,
        "phone_form": phone_form or PhoneForm(),
        "code_form": code_form or PhoneCodeForm(),
        "code_max_minutes": settings.SMS_CODE_MAX_AGE_SECONDS // 60,
    }
    return render(request, "incidents/account.html", context, status=status)


@login_required
@require_POST
def phone_add(request: HttpRequest) -> HttpResponse:
    """Send a verification code by text to the number typed (each code costs a message: rate limited)."""
    form = PhoneForm(request.POST)
    if not sms_configured():
        form.add_error(None, _("Text messages are not set up on this server yet: ask your admin."))
        return _page(request, phone_form=form, status=409)
    if not form.is_valid():
        return _page(request, phone_form=form, status=400)
    if is_ratelimited(request, group="sms-code", key="user", rate=settings.SMS_CODE_RATE, increment=True):
        form.add_error(None, _("You asked for many codes. Wait an hour, then try again."))
        return _page(request, phone_form=form, status=429)
    try:
        phone_code_send(user=request.user, number=form.cleaned_data["number"])
    except ValidationError as exc:
        form.add_error("number", exc)
        return _page(request, phone_form=form, status=400)
    messages.success(request, _("We sent a code by text message. Type it below to turn text messages on."))
    return redirect("account")


@login_required
@require_POST
def phone_confirm(request: HttpRequest) -> HttpResponse:
    form = PhoneCodeForm(request.POST)
    if not form.is_valid():
        return _page(request, code_form=form, status=400)
    try:
        phone_verify(user=request.user, code=form.cleaned_data["code"])
    except ValidationError as exc:
        form.add_error("code", exc)
        return _page(request, code_form=form, status=400)
    messages.success(
        request, _("Your number is verified. Critical reports and stop-work calls now reach you by text message too.")
    )
    return redirect("account")


@login_required
@require_POST
def phone_delete(request: HttpRequest) -> HttpResponse:
    if phone_remove(user=request.user):
        messages.success(request, _("Your mobile number is removed: no more text messages from SafeTrack."))
    return redirect("account")


@login_required
@require_POST
def push_subscription_add(request: HttpRequest) -> JsonResponse:
    """Called by the account page's script once the browser subscribed (the permission was asked on a tap)."""
    if not settings.VAPID_PRIVATE_KEY:
        return JsonResponse({"error": _("Push notifications are not set up on this server.")}, status=409)
    try:
        data = json.loads(request.body or b"{}")
        keys = data.get("keys") or {}
        push_subscribe(
            user=request.user,
            endpoint=str(data.get("endpoint", "")),
            p256dh=str(keys.get("p256dh", "")),
            auth=str(keys.get("auth", "")),
            device=request.headers.get("User-Agent", "")[:200],
        )
    except (ValueError, AttributeError):
        return JsonResponse({"error": _("This browser sent something SafeTrack cannot read.")}, status=400)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse({"ok": True}, status=201)


@login_required
@require_POST
def push_subscription_remove(request: HttpRequest, subscription_id: int) -> HttpResponse:
    removed = push_unsubscribe(user=request.user, subscription_id=subscription_id)
    if removed:
        messages.success(request, _("Push notifications are off for that phone."))
    return redirect("account")
