"""Resending failed notifications from the admin (the outbox page and the reports page), said once."""

from collections.abc import Sequence

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import ngettext

from incidents.services.admin_actions import notifications_resend_failed


def resend_failed(model_admin: admin.ModelAdmin, request: HttpRequest, notification_ids: Sequence[int]) -> int:
    """Queue the failed ones among `notification_ids` again, tell the admin how many; return that number."""
    resent = (
        notifications_resend_failed(notification_ids=notification_ids, actor=request.user) if notification_ids else 0
    )
    if resent:
        model_admin.message_user(
            request,
            ngettext(
                "%(count)d failed notification queued again.",
                "%(count)d failed notifications queued again.",
                resent,
            )
            % {"count": resent},
            messages.SUCCESS,
        )
    return resent
