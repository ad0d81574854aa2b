"""What the admin does to reports beyond reading them, recorded on each report's trail.

"Escalate now" is `escalation.report_escalate(force=True, actor=admin)`, which writes its own event.
Resending failed notifications writes an `admin_changed` event on every report it touched, under
that report's row lock, so the trail shows who pushed the outbox and when.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from incidents.models import EventKind, Notification, Report

from .delivery import notifications_retry_failed
from .trail import event_append

RESEND_FAILED = "resend_failed_notifications"


def notifications_resend_failed(
    *, notification_ids: Iterable[int], actor: AbstractBaseUser, now: datetime | None = None
) -> int:
    """Give the failed ones among `notification_ids` a fresh set of attempts; others are left alone.

    Returns how many were queued again."""
    now = now or timezone.now()
    wanted = list(notification_ids)
    with transaction.atomic():
        report_ids = sorted(
            set(
                Notification.objects.filter(pk__in=wanted, status=Notification.Status.FAILED).values_list(
                    "report_id", flat=True
                )
            )
        )
        if not report_ids:
            return 0
        # Lock the reports first (in id order, so two admins cannot deadlock), then read what failed.
        reports = list(Report.objects.select_for_update(of=("self",)).filter(pk__in=report_ids).order_by("pk"))
        failed: dict[int, list[int]] = defaultdict(list)
        for pk, report_id in Notification.objects.filter(
            pk__in=wanted, report_id__in=report_ids, status=Notification.Status.FAILED
        ).values_list("pk", "report_id"):
            failed[report_id].append(pk)
        resent = notifications_retry_failed(notification_ids=[pk for ids in failed.values() for pk in ids], now=now)
        for report in reports:
            if failed.get(report.pk):
                event_append(
                    report=report,
                    kind=EventKind.ADMIN_CHANGED,
                    actor=actor,
                    at=now,
                    payload={"action": RESEND_FAILED, "notifications": sorted(failed[report.pk])},
                )
    return resent


def failed_notification_ids(*, report_ids: Iterable[int]) -> list[int]:
    return list(
        Notification.objects.filter(report_id__in=list(report_ids), status=Notification.Status.FAILED).values_list(
            "pk", flat=True
        )
    )
