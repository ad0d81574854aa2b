"""Issue 14 with real Celery processes (tests/live.py): the top is reminded a bounded number of times and
then the admins are told once; a stop-work call and its lift reach the crew; a live round reaches
everyone who can stop it at once; a level with nobody on it is named and passed. Timeouts are seconds.
Each case ends with the invariants the fault suite checks (support/invariants.py)."""

import time
from datetime import timedelta

import pytest

from accounts.models import Role
from incidents.categories import Category
from incidents.models import Channel, EscalationPolicy, Event, EventKind, Notification, Report, ReportStatus
from incidents.services.policy import policy_set_speed
from incidents.services.stop_work import stop_work_call, stop_work_lift
from support.invariants import invariants_check
from tests.factories import UserFactory, file_report, member
from tests.live import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.timeout(120)]

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)


def _settled() -> bool:
    return not Notification.objects.filter(status__in=["pending", "sending"]).exists()


def _emails_to(smtp_sink, address: str) -> list:
    return [m for m in smtp_sink.messages() if address in m["To"]]


def _kinds(report_id: int) -> list[str]:
    return list(Event.objects.filter(report_id=report_id).order_by("seq").values_list("kind", flat=True))


def test_the_level_never_passes_the_top_reminders_stop_after_n_and_the_admins_are_alerted_once(
    production, crew, ladder_cast, celery_worker_process, smtp_sink
):
    admin = UserFactory(is_staff=True, full_name="Ada Admin", email="ada.admin@example.com")
    production.admins.add(admin)
    production.webhook_url = "https://hooks.example.com/set"
    production.save()
    policy_set_speed(policy=production.policy, per_level=SECOND, resolve=HOUR)
    EscalationPolicy.objects.filter(pk=production.policy.pk).update(top_reminders=2)
    celery_worker_process(env=smtp_sink.env)
    report = file_report(production, crew, Category.MISFIRE)

    wait_until(
        lambda: EventKind.UNANSWERED_AT_TOP in _kinds(report.pk),
        timeout=30,
        message="four escalations, two reminders, then 'unanswered at the top'",
    )
    wait_until(_settled, timeout=30, message="every notification to be delivered")
    time.sleep(3)  # three more deadlines' worth: nothing else happens once the report is unanswered

    report.refresh_from_db()
    assert (report.escalation_level, report.reminder_count, report.next_escalation_at) == (5, 2, None)
    assert report.status == ReportStatus.OPEN and report.unanswered_at_top_at is not None
    kinds = [
        k for k in _kinds(report.pk) if k in (EventKind.ESCALATED, EventKind.REMINDED, EventKind.UNANSWERED_AT_TOP)
    ]
    assert kinds == [EventKind.ESCALATED] * 4 + [EventKind.REMINDED] * 2 + [EventKind.UNANSWERED_AT_TOP]
    assert max(Report.objects.values_list("escalation_level", flat=True)) == 5
    executive = ladder_cast["executive"]
    # The executive: level 5 once, then two reminders; never more, however long it waits.
    assert len(_emails_to(smtp_sink, executive.email)) == 3
    assert len(_emails_to(smtp_sink, admin.email)) == 1
    [alert] = _emails_to(smtp_sink, admin.email)
    assert "Unanswered at the top" in alert["Subject"]
    unanswered = Event.objects.get(report=report, kind=EventKind.UNANSWERED_AT_TOP)
    assert unanswered.notifications.filter(channel=Channel.WEBHOOK).count() == 1
    invariants_check(report_ids=[report.pk]).assert_ok()


def test_a_stop_work_call_reaches_a_crew_members_inbox_and_email_and_so_does_its_lift(
    production, crew, ladder_cast, celery_worker_process, smtp_sink
):
    grip = member(production, Role.CREW, full_name="Gil Grip", email="gil.grip@example.com")
    celery_worker_process(env=smtp_sink.env)

    report = stop_work_call(production=production, caller=crew, reason="Live round found in the prop cart")
    wait_until(lambda: _emails_to(smtp_sink, grip.email), timeout=20, message="the crew member's email")
    assert Notification.objects.filter(report=report, recipient=grip, channel=Channel.IN_APP).count() == 1
    [called] = _emails_to(smtp_sink, grip.email)
    assert "STOP WORK" in called["Subject"] and "Live round found in the prop cart" in called["Subject"]
    body = called.get_body(preferencelist=("plain",)).get_content()
    # Crew cannot open the caller's report: the link is the production page's account of the call.
    assert f"{production.get_absolute_url()}#stop-work-{report.pk}" in body
    assert "/acknowledge/" not in body  # nobody on the crew is handed an acknowledge link

    stop_work_lift(report_id=report.pk, user=ladder_cast["producer"], clearance_note="Cart checked: all dummies")
    wait_until(lambda: len(_emails_to(smtp_sink, grip.email)) == 2, timeout=20, message="the lift's email")
    lifted = Notification.objects.get(
        report=report, recipient=grip, channel=Channel.IN_APP, event__kind=EventKind.STOP_WORK_LIFTED
    )
    assert lifted.read_at is None
    assert (
        "Cart checked: all dummies"
        in _emails_to(smtp_sink, grip.email)[-1].get_body(preferencelist=("plain",)).get_content()
    )
    wait_until(_settled, timeout=30, message="every notification to be delivered")
    invariants_check(report_ids=[report.pk]).assert_ok()


def test_a_live_round_reaches_the_armorer_the_safety_coordinator_and_the_producers_at_once(
    production, crew, ladder_cast, celery_worker_process, smtp_sink
):
    celery_worker_process(env=smtp_sink.env)
    report = file_report(production, crew, Category.LIVE_AMMUNITION, title="Live round in a dummy box")
    at_once = {ladder_cast[role].email for role in ("armorer", "safety", "producer", "executive")}

    wait_until(
        lambda: all(_emails_to(smtp_sink, address) for address in at_once), timeout=20, message="all four emails"
    )
    report.refresh_from_db()
    assert report.escalation_level == 1 and report.status == ReportStatus.OPEN  # it still climbs from level 1
    filed = Event.objects.get(report=report, kind=EventKind.FILED)
    told = set(filed.notifications.filter(channel=Channel.IN_APP).values_list("recipient", flat=True))
    assert {ladder_cast[role].pk for role in ("armorer", "safety", "producer", "executive")} <= told
    assert ladder_cast["upm"].pk not in told  # the UPM is told when it reaches them
    wait_until(_settled, timeout=30, message="every notification to be delivered")
    invariants_check(report_ids=[report.pk]).assert_ok()


def test_a_level_with_nobody_on_it_is_named_in_the_trail_and_passed(
    production, crew, department_head, armorer, safety, producer, executive, celery_worker_process
):
    # No UPM on this production yet: level 3 reaches nobody.
    policy_set_speed(policy=production.policy, per_level=SECOND, resolve=HOUR)
    celery_worker_process()
    report = file_report(production, crew, Category.RIGGING)

    wait_until(
        lambda: Event.objects.filter(report=report, kind=EventKind.ESCALATED).count() >= 2,
        timeout=20,
        message="two escalations",
    )
    first, second = Event.objects.filter(report=report, kind=EventKind.ESCALATED).order_by("seq")[:2]
    assert (first.payload["from_level"], first.payload["to_level"]) == (1, 2)
    assert (second.payload["from_level"], second.payload["to_level"], second.payload["nobody_at"]) == (2, 4, [3])
    assert set(second.notifications.filter(channel=Channel.IN_APP).values_list("recipient", flat=True)) == {producer.pk}
    wait_until(
        lambda: EventKind.UNANSWERED_AT_TOP in _kinds(report.pk), timeout=30, message="the report to settle at the top"
    )
    wait_until(_settled, timeout=30, message="every notification to be delivered")
    invariants_check(report_ids=[report.pk]).assert_ok()
