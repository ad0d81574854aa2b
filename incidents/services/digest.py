"""The weekly digest: each production's producer-level handlers get a summary of the previous week.

Who gets it: members whose role is producer or executive (studio safety). The issue asks for the
producers; the executive is included because they are the top of every ladder and this summary is the
quietest way for them to see silence lower down. Crew and the other handlers do not get it (they see
the dashboard).

Once per production and week, however many beat or worker processes run the task: before sending,
the run claims the week by inserting its `DigestRun` row, whose unique (production, week_start)
constraint lets exactly one claim succeed; the others skip. The beat schedule runs it hourly, so the
first run after Monday 00:00 in the production's time zone sends the week that just ended.

Delivery is at most once per person: if some recipients' emails fail, the failures are logged and the
week stays claimed (the others must not get it twice). Only when every email failed (the mail server
is down) is the claim released, so the next hourly run tries again.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Membership, Production, Role, User
from incidents.formatting import duration_text
from incidents.models import DigestRun
from incidents.reporting.stats import WeekSummary, local_midnight, week_start, week_summary
from incidents.trail import ProductionSeal, production_seal

from .sweeper import heartbeat_record

logger = logging.getLogger(__name__)

DIGEST = "digest"
DIGEST_ROLES = (Role.PRODUCER, Role.EXECUTIVE)


@dataclass(frozen=True)
class DigestWeek:
    start_day: date
    start: datetime
    end: datetime

    @property
    def last_day(self) -> date:
        return self.start_day + timedelta(days=6)


def digest_week(production: Production, now: datetime) -> DigestWeek:
    """The last full week (Monday to Sunday) before `now`, in the production's time zone."""
    tz = production.tzinfo
    this_monday = week_start(timezone.localtime(now, tz).date())
    previous = this_monday - timedelta(weeks=1)
    return DigestWeek(previous, local_midnight(previous, tz), local_midnight(this_monday, tz))


def digest_recipients(production: Production) -> list[User]:
    memberships = (
        Membership.objects.filter(production=production, role__in=DIGEST_ROLES, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id")
    )
    return [m.user for m in memberships]


def digest_claim(*, production: Production, week: DigestWeek) -> DigestRun | None:
    """Insert this week's row; None when another process already claimed it."""
    try:
        with transaction.atomic():
            return DigestRun.objects.create(production=production, week_start=week.start_day)
    except IntegrityError:
        return None


def _email(
    *, user: User, production: Production, week: DigestWeek, summary: WeekSummary, seal: ProductionSeal
) -> EmailMultiAlternatives:
    with translation.override(user.language), timezone.override(production.tzinfo):
        context = {
            "recipient": user,
            "production": production,
            "week": week,
            "summary": summary,
            "median_ack": duration_text(summary.median_ack_seconds) if summary.median_ack_seconds is not None else None,
            "dashboard_url": f"{settings.SITE_URL}{reverse('dashboard')}?production={production.pk}",
            "seal": seal,
        }
        subject = " ".join(render_to_string("emails/digest-subject.txt", context).split())
        text = render_to_string("emails/digest-body.txt", context)
        html = render_to_string("emails/digest-body.html", context)
    email = EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email])
    email.attach_alternative(html, "text/html")
    return email


def digest_send(*, production: Production, now: datetime) -> int | None:
    """Send one production's digest for the week before `now`; the number of emails sent, or None when
    there was nothing to do (already claimed, or the production did not exist yet that week)."""
    week = digest_week(production, now)
    if production.created_at >= week.end:
        return None
    run = digest_claim(production=production, week=week)
    if run is None:
        return None
    recipients = digest_recipients(production)
    summary = week_summary(production=production, start=week.start, end=week.end)
    # The trails' seal travels in the email, outside the database (see incidents.trail.ProductionSeal).
    seal = production_seal(production_id=production.pk, at=now)
    sent = 0
    for user in recipients:
        try:
            _email(user=user, production=production, week=week, summary=summary, seal=seal).send(fail_silently=False)
            sent += 1
        except Exception:  # one bad address must not stop the others; logged, not retried (at most once)
            logger.exception("weekly digest of production %s to user %s failed", production.pk, user.pk)
    if recipients and not sent:
        DigestRun.objects.filter(pk=run.pk).delete()
        return 0
    DigestRun.objects.filter(pk=run.pk).update(recipients=sent)
    return sent


@dataclass(frozen=True)
class DigestResult:
    productions: int
    emails: int


def digests_send(now: datetime | None = None) -> DigestResult:
    """Every shooting production's digest for last week, each at most once (safe to run anywhere, often)."""
    now = now or timezone.now()
    productions = emails = 0
    for production in Production.objects.filter(status=Production.Status.ACTIVE).order_by("pk"):
        sent = digest_send(production=production, now=now)
        if sent is not None:
            productions += 1
            emails += sent
    heartbeat_record(DIGEST, {"productions": productions, "emails": emails})
    return DigestResult(productions, emails)
