"""Issue 14, the engine's human side without a worker: what pages, lists and the trail say at the top, who a
stop-work and a live round reach, what a level with nobody on it does, and the one-tap STOP WORK offer."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import Membership, Role
from incidents.categories import Category
from incidents.models import Channel, EscalationPolicy, EventKind, Notification, Report
from incidents.services.escalation import report_escalate
from incidents.services.handling import report_acknowledge, report_reopen, report_resolve
from incidents.services.stop_work import stop_work_call, stop_work_lift
from incidents.trail import verify_trail
from tests.factories import file_report, member

pytestmark = pytest.mark.django_db


def _climb_to_the_top_and_remind(report, reminders: int) -> Report:
    for _ in range(4 + reminders):
        report.refresh_from_db()
        report_escalate(report_id=report.pk, expected_level=report.escalation_level, now=report.next_escalation_at)
    report.refresh_from_db()
    return report


def _told_in_app(report, kind) -> set[int]:
    return set(
        Notification.objects.filter(report=report, event__kind=kind, channel=Channel.IN_APP).values_list(
            "recipient", flat=True
        )
    )


# --- at the top -----------------------------------------------------------------------------------------


def test_the_report_page_says_level_5_of_5_with_the_reminder_count_and_what_its_deadline_brings(
    client, production, crew, ladder_cast
):
    report = _climb_to_the_top_and_remind(file_report(production, crew, Category.FATIGUE), reminders=2)
    client.force_login(ladder_cast["executive"])
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Level 5 of 5 (Executive / studio safety) · reminder 2 of 3" in page
    assert "the top level is reminded again" in page
    assert "goes up to the next level" not in page
    # The trail: one compact line per reminder.
    assert page.count("Reminder 1 of 3 to level 5 (Executive / studio safety)") == 1
    assert page.count("Reminder 2 of 3 to level 5 (Executive / studio safety)") == 1


def test_after_the_last_reminder_the_page_says_so_and_the_report_leads_the_dashboard(
    client, production, crew, ladder_cast
):
    EscalationPolicy.objects.filter(production=production).update(top_reminders=1)
    newer = file_report(production, crew, Category.OTHER, title="Newer, with a deadline")
    unanswered = _climb_to_the_top_and_remind(
        file_report(production, crew, Category.FATIGUE, title="Sixteen-hour days"), reminders=2
    )
    assert unanswered.unanswered_at_top_at is not None and unanswered.reminder_count == 1
    client.force_login(ladder_cast["producer"])
    page = client.get(unanswered.get_absolute_url()).content.decode()
    assert "Level 5 of 5 (Executive / studio safety) · reminder 1 of 1 · unanswered at the top" in page
    assert "Unanswered at the top: every reminder went unanswered" in page
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert dashboard.index("Sixteen-hour days") < dashboard.index(newer.title)
    assert "unanswered at the top" in dashboard
    assert 'data-overdue="1"' in dashboard  # counted with the overdue, as its row is marked


def test_a_production_without_admins_still_alerts_its_webhook_once(production, crew, ladder_cast):
    production.webhook_url = "https://hooks.example.com/set"
    production.save()
    EscalationPolicy.objects.filter(production=production).update(top_reminders=0)
    report = _climb_to_the_top_and_remind(file_report(production, crew, Category.OTHER), reminders=1)
    [alert] = report.events.filter(kind=EventKind.UNANSWERED_AT_TOP)
    assert alert.payload["alerted"] and alert.payload["recipients"] == []
    assert list(alert.notifications.values_list("channel", flat=True)) == [Channel.WEBHOOK]
    assert verify_trail(report).intact


def _unanswered_page(client, report, viewer) -> str:
    client.force_login(viewer)
    return client.get(report.get_absolute_url()).content.decode()


def test_a_report_unanswered_at_the_top_of_a_production_without_admins_alerts_the_site_administrators_and_says_so(
    client, production, crew, ladder_cast, superuser
):
    EscalationPolicy.objects.filter(production=production).update(top_reminders=0)
    report = _climb_to_the_top_and_remind(file_report(production, crew, Category.OTHER), reminders=1)
    [alert] = report.events.filter(kind=EventKind.UNANSWERED_AT_TOP)
    assert alert.payload["recipients"] == [superuser.pk]
    assert _told_in_app(report, EventKind.UNANSWERED_AT_TOP) == {superuser.pk}
    page = _unanswered_page(client, report, ladder_cast["executive"])
    assert "The production&#x27;s admins were alerted." not in page  # the trail (escaped words)
    assert "and the production's admins were alerted" not in page
    assert "so the site&#x27;s administrators were alerted instead." in page
    assert "so the site's administrators were alerted. It stays first" in page  # the status (template text)
    report.refresh_from_db()  # the page view added to the trail
    assert verify_trail(report).intact


def test_when_nobody_can_be_alerted_at_the_top_the_trail_and_the_status_say_so_and_that_an_admin_must_be_added(
    client, production, crew, ladder_cast
):
    EscalationPolicy.objects.filter(production=production).update(top_reminders=0)
    report = _climb_to_the_top_and_remind(file_report(production, crew, Category.OTHER), reminders=1)
    assert not Notification.objects.filter(report=report, event__kind=EventKind.UNANSWERED_AT_TOP).exists()
    page = _unanswered_page(client, report, ladder_cast["executive"])
    assert "admins were alerted" not in page and "administrators were alerted" not in page
    assert "Nobody could be alerted: the production has no admin who could be told" in page
    assert "An admin must be added to the production" in page
    assert "nobody else could be alerted: the production has no admin." in page
    # The reporter's page says the same of the status (the trail's event is for handlers).
    assert "nobody else could be alerted" in _unanswered_page(client, report, crew)


def test_before_its_last_deadline_the_status_says_whom_the_alert_will_reach(client, production, crew, ladder_cast):
    EscalationPolicy.objects.filter(production=production).update(top_reminders=0)
    report = _climb_to_the_top_and_remind(file_report(production, crew, Category.OTHER), reminders=0)
    assert report.next_escalation_at is not None
    page = _unanswered_page(client, report, ladder_cast["executive"])
    assert "it is marked unanswered at the top; nobody else can be alerted: the production has no admin." in page
    admin = member(production, Role.CREW, full_name="Ada Admin", is_staff=True)
    production.admins.add(admin)
    page = _unanswered_page(client, report, ladder_cast["executive"])
    assert "it is marked unanswered at the top and the production's admins are alerted." in page


def test_a_report_that_climbs_to_a_top_reaching_nobody_alerts_the_production_admins(production, crew, department_head):
    """A climb (not a reminder) can end at the top too: the admins must be read for it as well."""
    admin = member(production, Role.CREW, full_name="Ada Admin", is_staff=True)
    production.admins.add(admin)
    report = file_report(production, crew, Category.OTHER)
    assert report.escalation_level == 1
    report_escalate(report_id=report.pk, expected_level=1, now=report.next_escalation_at)
    report.refresh_from_db()
    assert report.unanswered_at_top_at is not None
    assert _told_in_app(report, EventKind.UNANSWERED_AT_TOP) == {admin.pk}


# --- everyone must stop ---------------------------------------------------------------------------------


def test_a_stop_work_call_reaches_every_member_but_its_caller_and_the_lift_reaches_them_again(
    production, crew, other_crew, ladder_cast, outsider
):
    electrician = member(production, Role.CREW, full_name="Eli Sparks")
    call = stop_work_call(production=production, caller=crew, reason="Live round found in the prop cart")
    told = _told_in_app(call, EventKind.STOP_WORK_CALLED)
    assert {other_crew.pk, electrician.pk} <= told
    assert {user.pk for user in ladder_cast.values()} <= told
    assert crew.pk not in told and outsider.pk not in told
    assert Notification.objects.filter(report=call, recipient=electrician, channel=Channel.EMAIL).count() == 1
    stop_work_lift(report_id=call.pk, user=ladder_cast["producer"], clearance_note="Cart checked: all dummies")
    lifted = _told_in_app(call, EventKind.STOP_WORK_LIFTED)
    assert lifted == (told | {crew.pk}) - {ladder_cast["producer"].pk}


def test_a_stop_work_on_a_big_production_builds_its_rows_in_a_few_queries(
    production, crew, ladder_cast, django_assert_max_num_queries
):
    for number in range(200):
        member(production, Role.CREW, full_name=f"Crew {number}")
    with django_assert_max_num_queries(40):
        call = stop_work_call(production=production, caller=crew, reason="Fire on stage 4")
    assert len(_told_in_app(call, EventKind.STOP_WORK_CALLED)) == 200 + len(ladder_cast)


def test_a_crew_members_inbox_links_a_stop_work_to_the_production_page(client, production, crew, other_crew):
    call = stop_work_call(production=production, caller=crew, reason="Live round found in the prop cart")
    client.force_login(other_crew)
    page = client.get(reverse("inbox")).content.decode()
    assert f'href="{production.get_absolute_url()}#stop-work-{call.pk}"' in page
    assert "STOP WORK called" in page


# --- live rounds ----------------------------------------------------------------------------------------


def test_a_live_round_reaches_the_armorer_the_safety_coordinator_and_the_producers_at_once(
    production, crew, ladder_cast
):
    report = file_report(production, crew, Category.MISFIRE, ammunition="live")
    told = _told_in_app(report, EventKind.FILED)
    wanted = {ladder_cast[role].pk for role in ("department_head", "armorer", "safety", "producer", "executive")}
    assert told == wanted  # the UPM hears when it climbs to them
    assert report.escalation_level == 1
    filed = report.events.get(kind=EventKind.FILED)
    assert filed.payload["live_round"] is True


def test_the_live_round_confirmation_offers_stop_work_in_one_tap_with_the_report_in_its_reason(
    client, production, crew, ladder_cast
):
    report = file_report(production, crew, Category.LIVE_AMMUNITION, title="Live round in the dummy box")
    client.force_login(crew)
    page = client.get(reverse("report_filed", args=[report.pk])).content.decode()
    assert "Call STOP WORK now" in page and f'action="{reverse("stop_work_new")}"' in page
    assert f"Live round reported (report #{report.pk}): Live round in the dummy box" in page
    other = file_report(production, crew, Category.FATIGUE)
    assert "Call STOP WORK now" not in client.get(reverse("report_filed", args=[other.pk])).content.decode()


def test_the_offer_is_not_made_while_work_is_already_stopped(client, production, crew, other_crew, ladder_cast):
    stop_work_call(production=production, caller=other_crew, reason="Fire on stage 4")
    report = file_report(production, crew, Category.LIVE_AMMUNITION)
    client.force_login(crew)
    assert "Call STOP WORK now" not in client.get(reverse("report_filed", args=[report.pk])).content.decode()


def test_a_tampered_one_tap_call_is_refused_like_any_stop_work_form(client, production, crew, other_production):
    report = file_report(production, crew, Category.LIVE_AMMUNITION)
    client.force_login(crew)
    for hostile in (
        {"production": other_production.pk, "title": "x", "identity": "named", "confirm": "on"},
        {"production": production.pk, "title": "", "identity": "named", "confirm": "on"},
        {"production": production.pk, "title": "x" * 5000, "identity": "named", "confirm": "on"},
        {"production": production.pk, "title": "x", "identity": "<script>", "confirm": "on"},
        {"production": "1; DROP TABLE", "title": "x", "identity": "named", "confirm": "on"},
    ):
        response = client.post(reverse("stop_work_new"), {**hostile, "description": f"See report #{report.pk}."})
        assert response.status_code == 200, hostile
    assert not Report.objects.filter(category=Category.STOP_WORK).exists()


# --- levels that reach nobody ---------------------------------------------------------------------------


def test_a_first_level_with_nobody_is_named_and_the_report_starts_at_the_next(
    client, production, crew, safety, producer
):
    report = file_report(production, crew, Category.RIGGING)
    assert report.escalation_level == 2
    filed = report.events.get(kind=EventKind.FILED)
    assert (filed.payload["level"], filed.payload["nobody_at"]) == (2, [1])
    assert _told_in_app(report, EventKind.FILED) == {safety.pk}
    client.force_login(safety)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Level 1 reaches nobody: went on to level 2." in page
    report.refresh_from_db()  # opening the page added "viewed"
    assert verify_trail(report).intact


def test_the_production_page_and_the_admin_policy_page_warn_about_a_level_with_nobody(
    client, production, crew, department_head, safety, producer, executive, superuser
):
    client.force_login(producer)
    page = client.get(reverse("production_detail", args=[production.pk])).content.decode()
    assert "Level 3 (Unit production manager) reaches nobody" in page
    assert "Level 1 (" not in page.split('id="levels-reaching-nobody"')[1].split("</div>\n  </div>")[0]
    client.force_login(crew)
    assert "reaches nobody" not in client.get(reverse("production_detail", args=[production.pk])).content.decode()
    client.force_login(superuser)
    admin = client.get(reverse("admin:incidents_escalationpolicy_change", args=[production.policy.pk]))
    assert "Level 3 (Unit production manager) reaches nobody" in admin.content.decode()
    admin_production = client.get(reverse("admin:accounts_production_change", args=[production.pk]))
    assert "Level 3 (Unit production manager) reaches nobody" in admin_production.content.decode()
    Membership.objects.filter(user=crew, production=production).update(role=Role.UPM)
    admin = client.get(reverse("admin:incidents_escalationpolicy_change", args=[production.policy.pk]))
    assert "None: every level reaches someone." in admin.content.decode()


def test_a_ladder_with_nobody_at_all_alerts_the_admins_at_the_first_deadline(production, crew):
    admin = member(production, Role.CREW, full_name="Ada Admin", is_staff=True)
    production.admins.add(admin)
    report = file_report(production, crew, Category.OTHER)
    assert report.escalation_level == 5
    report_escalate(report_id=report.pk, expected_level=5, now=report.next_escalation_at + timedelta(seconds=1))
    report.refresh_from_db()
    assert report.unanswered_at_top_at is not None and report.next_escalation_at is None
    assert _told_in_app(report, EventKind.UNANSWERED_AT_TOP) == {admin.pk}


def test_a_report_reopened_at_the_top_gets_a_new_run_of_reminders(production, crew, ladder_cast):
    report = _climb_to_the_top_and_remind(file_report(production, crew, Category.FATIGUE), reminders=3)
    assert report.reminder_count == 3
    assert report_acknowledge(report_id=report.pk, user=ladder_cast["executive"]).won
    report_resolve(report_id=report.pk, user=ladder_cast["executive"], resolution="Turnaround fixed")
    report = report_reopen(report_id=report.pk, user=crew, reason="Still 16-hour days")
    assert (report.escalation_level, report.reminder_count) == (5, 0)
    report_escalate(report_id=report.pk, expected_level=5, now=report.next_escalation_at)
    report.refresh_from_db()
    assert report.reminder_count == 1 and report.next_escalation_at is not None
    assert verify_trail(report).intact
