"""The account page: push notifications on this phone, and the channels chosen per severity."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from incidents.forms.account import CHOOSABLE_SEVERITIES, ChannelsForm
from incidents.models import ChannelPreference, PushSubscription
from incidents.notifications.push import vapid_public_key
from incidents.services.contacts import channels_choose, push_subscribe, push_unsubscribe


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
    context = {
        "form": form,
        "severities": [form[severity] for severity in CHOOSABLE_SEVERITIES],
        "subscriptions": PushSubscription.objects.filter(user=request.user),
        "vapid_public_key": vapid_public_key(),
        "has_email": bool(request.user.email),
    }
    return render(request, "incidents/account.html", context, status=400 if form.errors else 200)


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
