"""The weekly digest: producers and executives get last week's summary, once per production and week,
however many times (or in however many processes) the task runs."""

import smtplib
from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from accounts.models import Production, Role
from incidents import tasks
from incidents.categories import Category
from incidents.models import DigestRun, Heartbeat
from incidents.services.digest import digest_week, digests_send
from incidents.services.escalation import report_escalate
from incidents.services.filing import report_file
from incidents.services.handling import report_acknowledge
from tests.factories import draft, member

pytestmark = pytest.mark.django_db


class BrokenMailServer(BaseEmailBackend):
    """The outside world failing: every send raises like an unreachable SMTP server."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("connection refused")


@pytest.fixture
def last_wednesday(production):
    """Noon on the Wednesday of last week in the production's time zone; the production existed then."""
    tz = production.tzinfo
    today = timezone.localtime(timezone.now(), tz).date()
    monday = today - timedelta(days=today.weekday()) - timedelta(weeks=1)
    moment = datetime.combine(monday + timedelta(days=2), time(12), tzinfo=tz)
    Production.objects.filter(pk=production.pk).update(created_at=moment - timedelta(days=30))
    production.refresh_from_db()
    return moment


def file_at(production, reporter, at, category=Category.OTHER, **fields):
    return report_file(production=production, reporter=reporter, draft=draft(category, **fields), now=at)


def test_the_digest_goes_out_once_per_production_and_week_even_when_run_twice(
    production, ladder_cast, crew, last_wednesday
):
    file_at(production, crew, last_wednesday)
    run_at = last_wednesday + timedelta(weeks=1)

    first = digests_send(now=run_at)
    second = digests_send(now=run_at + timedelta(hours=1))

    assert (first.productions, first.emails) == (1, 2)
    assert (second.productions, second.emails) == (0, 0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [ladder_cast["producer"].email, ladder_cast["executive"].email]
    )
    run = DigestRun.objects.get()
    assert (run.production, run.week_start, run.recipients) == (
        production,
        digest_week(production, run_at).start_day,
        2,
    )


def test_a_week_claimed_by_another_process_is_not_sent_again(production, ladder_cast, last_wednesday):
    run_at = last_wednesday + timedelta(weeks=1)
    DigestRun.objects.create(production=production, week_start=digest_week(production, run_at).start_day)

    assert digests_send(now=run_at).emails == 0
    assert mail.outbox == []


def test_the_task_run_twice_sends_each_production_once(production, other_production, producer, outsider):
    for show in (production, other_production):
        Production.objects.filter(pk=show.pk).update(created_at=timezone.now() - timedelta(days=30))

    assert tasks.send_weekly_digests() == {"productions": 2, "emails": 2}
    assert tasks.send_weekly_digests() == {"productions": 0, "emails": 0}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([producer.email, outsider.email])
    assert Heartbeat.objects.filter(name="digest").exists()


def test_the_next_week_gets_its_own_digest(production, producer, last_wednesday):
    digests_send(now=last_wednesday + timedelta(weeks=1))
    digests_send(now=last_wednesday + timedelta(weeks=2))
    assert len(mail.outbox) == 2
    assert DigestRun.objects.count() == 2


def test_only_producers_and_executives_get_it(production, ladder_cast, crew, last_wednesday):
    retired = member(production, Role.PRODUCER, full_name="Former Producer")
    retired.is_active = False
    retired.save(update_fields=["is_active"])

    digests_send(now=last_wednesday + timedelta(weeks=1))

    recipients = {m.to[0] for m in mail.outbox}
    assert recipients == {ladder_cast["producer"].email, ladder_cast["executive"].email}
    for role in ("department_head", "armorer", "safety", "upm"):
        assert ladder_cast[role].email not in recipients
    assert crew.email not in recipients


def test_the_digest_summarises_last_week(production, ladder_cast, crew, last_wednesday):
    at = last_wednesday
    stunt = file_at(production, crew, at, Category.STUNTS)
    cable = file_at(production, crew, at, Category.OTHER, severity="critical")
    file_at(production, crew, at + timedelta(hours=1), Category.STOP_WORK)
    file_at(production, crew, at - timedelta(weeks=1), Category.OTHER)  # the week before: not counted
    report_acknowledge(report_id=stunt.pk, user=ladder_cast["producer"], now=at + timedelta(minutes=4))
    report_acknowledge(report_id=cable.pk, user=ladder_cast["producer"], now=at + timedelta(minutes=6))
    report_escalate(report_id=stunt.pk, expected_level=1, now=at + timedelta(days=4))  # missed its deadline

    digests_send(now=at + timedelta(weeks=1))

    email = mail.outbox[0]
    body = email.body
    assert production.name in email.subject
    assert "New reports: 3 (2 critical)" in body  # the stop-work call is critical too
    assert "Went past a deadline (escalated): 1" in body
    assert "Median time to acknowledge: 5 min (over 2 reports)" in body
    assert "Stop-work calls: 1" in body
    assert "Still unresolved now: 4" in body
    assert f"/dashboard/?production={production.pk}" in body
    html = email.alternatives[0][0]
    assert '<th align="left">Stop-work calls</th><td>1</td>' in html


def test_the_digest_is_written_in_each_recipients_language(production, ladder_cast, last_wednesday):
    ladder_cast["executive"].language = "es"
    ladder_cast["executive"].save(update_fields=["language"])

    digests_send(now=last_wednesday + timedelta(weeks=1))

    by_recipient = {m.to[0]: m.body for m in mail.outbox}
    assert "Monday" in by_recipient[ladder_cast["producer"].email]
    assert "lunes" in by_recipient[ladder_cast["executive"].email]


def test_when_every_email_fails_the_week_is_released_and_retried(settings, production, producer, last_wednesday):
    run_at = last_wednesday + timedelta(weeks=1)
    settings.EMAIL_BACKEND = "tests.incidents.test_digest.BrokenMailServer"

    assert digests_send(now=run_at).emails == 0
    assert not DigestRun.objects.exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert digests_send(now=run_at + timedelta(hours=1)).emails == 1
    assert len(mail.outbox) == 1


def test_wrapped_productions_and_weeks_before_a_production_existed_get_no_digest(
    production, other_production, producer, outsider
):
    Production.objects.filter(pk=other_production.pk).update(
        status=Production.Status.WRAPPED, created_at=timezone.now() - timedelta(days=60)
    )
    assert digests_send(now=timezone.now()).productions == 0  # `production` was created this week
    assert mail.outbox == []
