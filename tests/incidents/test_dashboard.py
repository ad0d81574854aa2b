"""The handlers' dashboard: the queue by deadline, its countdowns, filters, the polled fragment, the
trends, who may open it, and a query count that does not grow with the production."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department, Role
from incidents.categories import Category
from incidents.formatting import countdown, duration_text
from incidents.ladder import ladder_for
from incidents.models import Event, EventKind, Identity, Report, ReportStatus
from incidents.reporting.stats import percentile, trends_for
from incidents.services.escalation import report_escalate
from incidents.services.filing import report_file
from incidents.services.handling import report_acknowledge, report_resolve
from tests.factories import MembershipFactory, UserFactory, draft, member

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")
FRAGMENT = reverse("dashboard_queue")


def file_at(production, reporter, category=Category.OTHER, minutes_ago=0, **fields):
    now = timezone.now() - timedelta(minutes=minutes_ago)
    return report_file(production=production, reporter=reporter, draft=draft(category, **fields), now=now)


def positions(html, *needles):
    return [html.index(needle) for needle in needles]


def needs_ack_section(html):
    start = html.index('id="needs-ack-heading"')
    return html[start : html.index('id="awaiting-heading"')]


# --- the queue and its countdowns ---------------------------------------------------------------------


def test_dashboard_lists_open_reports_soonest_deadline_first_with_countdowns(client, production, crew, producer):
    low = file_at(production, crew, Category.OTHER, title="Frayed extension cable")
    overdue = file_at(production, crew, Category.OTHER, minutes_ago=7, severity="critical", title="Gas smell")
    medium = file_at(production, crew, Category.STUNTS, title="Pads missing under the fall")
    client.force_login(producer)

    html = client.get(DASHBOARD).content.decode()
    section = needs_ack_section(html)

    first, second, third = positions(section, overdue.title, medium.title, low.title)
    assert first < second < third
    assert "Overdue by 2 min" in section
    assert "OVERDUE" in section  # said in text, not only in colour
    assert "Escalates in 1 h 59 min" in section
    assert "Escalates in 23 h 59 min" in section


def test_countdown_says_escalates_in_or_overdue_by_in_words(production, crew):
    report = file_at(production, crew, Category.OTHER, severity="critical")
    now = report.next_escalation_at - timedelta(minutes=3, seconds=10)
    assert countdown(report, now).text == "escalates in 3 min"
    late = countdown(report, report.next_escalation_at + timedelta(minutes=2, seconds=5))
    assert (late.overdue, late.text) == (True, "overdue by 2 min")
    assert duration_text(30) == "under a minute"
    assert duration_text(3 * 86400) == "3 days"


def test_acknowledged_reports_show_their_resolution_deadline(client, production, crew, department_head, producer):
    report = file_at(production, crew, Category.STUNTS, title="Wire rig unchecked")
    report_acknowledge(report_id=report.pk, user=department_head)
    client.force_login(producer)

    html = client.get(DASHBOARD).content.decode()
    awaiting = html[html.index('id="awaiting-heading"') : html.index('id="resolved-heading"')]

    assert "Wire rig unchecked" in awaiting
    assert "Resolve within 2 days" in awaiting  # medium: 3 days by default, just under
    assert f"acknowledged by {department_head.full_name}" in awaiting
    assert "Wire rig unchecked" not in needs_ack_section(html)


def test_recently_resolved_reports_are_listed_with_who_resolved_them(client, production, crew, producer):
    report = file_at(production, crew, Category.OTHER, title="Trip hazard by craft services")
    report_resolve(report_id=report.pk, user=producer, resolution="Taped the cable run.")
    client.force_login(producer)

    html = client.get(DASHBOARD).content.decode()
    resolved = html[html.index('id="resolved-heading"') :]

    assert "Trip hazard by craft services" in resolved
    assert f"resolved by {producer.full_name}" in resolved


def test_each_open_row_acknowledges_through_a_confirmation_form_back_to_the_dashboard(
    client, production, crew, department_head
):
    report = file_at(production, crew, Category.OTHER, title="Loose handrail")
    client.force_login(department_head)

    html = client.get(DASHBOARD, {"severity": "low"}).content.decode()

    action = reverse("report_acknowledge", args=[report.pk])
    form = re.search(rf'<form[^>]*method="post" action="{action}">(.*?)</form>', html, re.S)
    assert form is not None
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
    assert f'name="next" value="{DASHBOARD}?production={production.pk}&amp;severity=low"' in form.group(1)
    assert f"Yes, acknowledge #{report.pk}" in form.group(1)  # the confirmation step, no JavaScript needed
    assert f'href="{report.get_absolute_url()}"' in html


def test_a_handler_told_at_level_1_keeps_the_acknowledge_button_after_the_report_climbs(
    client, production, crew, department_head
):
    report = file_at(production, crew, Category.OTHER, title="Rain on the rig")
    for level in (1, 2):  # now at the UPM's level, above a department head who was told at level 1
        report_escalate(report_id=report.pk, expected_level=level, force=True)
    client.force_login(department_head)

    html = client.get(DASHBOARD).content.decode()

    assert reverse("report_acknowledge", args=[report.pk]) in html
    assert "Waiting for a handler it has reached" not in html


def test_a_department_head_the_report_never_reached_sees_no_acknowledge_button_once_it_climbs(
    client, production, crew, department_head
):
    camera_head = member(production, Role.DEPARTMENT_HEAD, Department.CAMERA, full_name="Cam Head")
    report = file_at(production, crew, Category.OTHER, title="Rain on the rig")  # a grip report: Kay is told
    for level in (1, 2):
        report_escalate(report_id=report.pk, expected_level=level, force=True)
    client.force_login(camera_head)

    html = client.get(DASHBOARD).content.decode()

    assert reverse("report_acknowledge", args=[report.pk]) not in html
    assert "Waiting for a handler it has reached" in html


def test_an_active_stop_work_is_shown_before_the_lists(client, production, crew, producer):
    file_at(production, crew, Category.OTHER, title="Earlier concern")
    file_at(production, crew, Category.STOP_WORK, title="Live round found in the prop cart")
    client.force_login(producer)

    html = client.get(DASHBOARD).content.decode()
    main = html[html.index('id="main"') :]

    assert "Work is stopped" in main
    assert main.index("Work is stopped") < main.index('id="needs-ack-heading"')


def test_the_dashboard_never_names_a_confidential_or_anonymous_reporter(client, production, crew, producer):
    file_at(production, crew, Category.OTHER, title="Confidential concern", identity=Identity.CONFIDENTIAL)
    report_file(production=production, reporter=None, draft=draft(Category.OTHER, title="Anonymous concern"))
    client.force_login(producer)

    html = client.get(DASHBOARD).content.decode() + client.get(FRAGMENT).content.decode()

    assert crew.full_name not in html
    assert "reported by a crew member" in html
    assert "reported by an anonymous crew member" in html


def test_the_queue_says_who_reported_mid_sentence_in_lower_case_in_english_and_spanish(
    client, production, crew, producer
):
    file_at(production, crew, Category.OTHER, title="Confidential concern", identity=Identity.CONFIDENTIAL)
    report_file(production=production, reporter=None, draft=draft(Category.OTHER, title="Anonymous concern"))
    client.force_login(producer)

    english = client.get(DASHBOARD).content.decode()
    producer.language = "es"
    producer.save(update_fields=["language"])
    spanish = client.get(DASHBOARD).content.decode()

    assert "reported by A crew member" not in english
    assert "reported by Anonymous crew member" not in english
    assert "reportado por un miembro del equipo" in spanish
    assert "reportado por un miembro anónimo del equipo" in spanish
    assert "reportado por Un miembro" not in spanish


# --- who may open it ----------------------------------------------------------------------------------


def test_a_department_head_sees_only_their_own_productions_dashboard(
    client, production, other_production, crew, department_head
):
    member(other_production, Role.CREW, full_name="Other Crew")
    file_at(production, crew, Category.OTHER, title="Ours")
    client.force_login(department_head)

    assert client.get(DASHBOARD).status_code == 200
    assert client.get(DASHBOARD, {"production": production.pk}).status_code == 200
    assert client.get(DASHBOARD, {"production": other_production.pk}).status_code == 404
    assert client.get(FRAGMENT, {"production": other_production.pk}).status_code == 404
    assert client.get(reverse("dashboard_export_csv"), {"production": other_production.pk}).status_code == 404


def test_crew_get_403_and_strangers_404(client, production, crew, outsider):
    client.force_login(crew)
    assert client.get(DASHBOARD).status_code == 403
    assert client.get(DASHBOARD, {"production": production.pk}).status_code == 403
    assert client.get(FRAGMENT, {"production": production.pk}).status_code == 403

    client.force_login(outsider)  # a producer elsewhere
    assert client.get(DASHBOARD, {"production": production.pk}).status_code == 404


def test_someone_in_no_production_gets_404_and_a_visitor_is_sent_to_log_in(client, production):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    client.force_login(UserFactory(full_name="Not On Any Show"))
    assert client.get(DASHBOARD).status_code == 404


def test_a_handler_in_several_productions_switches_between_them(client, production, other_production, crew):
    both = member(production, Role.UPM, Department.PRODUCTION, full_name="Two Shows")
    member_of_other = member(other_production, Role.CREW)
    MembershipFactory(user=both, production=other_production, role=Role.PRODUCER)
    file_at(production, crew, Category.OTHER, title="On the first show")
    file_at(other_production, member_of_other, Category.OTHER, title="On the other show")
    client.force_login(both)

    first = client.get(DASHBOARD, {"production": production.pk}).content.decode()
    second = client.get(DASHBOARD, {"production": other_production.pk}).content.decode()

    assert "On the first show" in first and "On the other show" not in first
    assert "On the other show" in second and "On the first show" not in second
    assert f'href="?production={other_production.pk}"' in first
    assert 'aria-current="page"' in second
    # The choice sticks: the plain /dashboard/ opens the production picked last.
    assert "On the other show" in client.get(DASHBOARD).content.decode()


# --- filters and search -------------------------------------------------------------------------------


@pytest.fixture
def assorted(production, crew):
    return {
        "stunt": file_at(production, crew, Category.STUNTS, title="Stair fall", department=Department.STUNTS),
        "cable": file_at(production, crew, Category.OTHER, title="Cable across the door", location="Stage 4"),
        "gas": file_at(production, crew, Category.ENVIRONMENT, severity="high", title="Generator fumes"),
    }


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"category": Category.STUNTS}, ["stunt"], ["cable", "gas"]),
        ({"severity": "high"}, ["gas"], ["stunt", "cable"]),
        ({"department": Department.STUNTS}, ["stunt"], ["cable", "gas"]),
        ({"level": "2"}, [], ["stunt", "cable", "gas"]),
        ({"level": "1", "category": Category.OTHER}, ["cable"], ["stunt", "gas"]),
        ({"status": ReportStatus.ACKNOWLEDGED}, [], ["stunt", "cable", "gas"]),
        ({"q": "stage 4"}, ["cable"], ["stunt", "gas"]),
        ({"q": "FUMES"}, ["gas"], ["stunt", "cable"]),
    ],
)
def test_filters_and_search_narrow_the_queue(client, ladder_cast, assorted, params, shown, hidden):
    client.force_login(ladder_cast["producer"])  # everyone on the ladder: reports start at level 1
    html = client.get(DASHBOARD, params).content.decode()
    fragment = client.get(FRAGMENT, params).content.decode()
    for key in shown:
        assert assorted[key].title in html and assorted[key].title in fragment
    for key in hidden:
        assert assorted[key].title not in html and assorted[key].title not in fragment


def test_filters_stay_in_the_url_of_every_link_and_form(client, production, producer, assorted):
    client.force_login(producer)
    html = client.get(DASHBOARD, {"category": Category.STUNTS, "q": "fall"}).content.decode()
    query = f"production={production.pk}&amp;category=stunts&amp;q=fall"
    assert f'data-queue-url="{FRAGMENT}?{query}"' in html
    assert f'href="{reverse("dashboard_export_csv")}?{query}"' in html
    assert '<option value="stunts" selected>' in html
    assert 'value="fall"' in html


def test_search_by_report_number(client, producer, assorted):
    client.force_login(producer)
    html = client.get(DASHBOARD, {"q": f"#{assorted['gas'].pk}"}).content.decode()
    assert "Generator fumes" in html and "Stair fall" not in html


def test_search_never_matches_a_reporters_name(client, production, crew, producer):
    file_at(production, crew, Category.OTHER, title="Quiet concern", identity=Identity.CONFIDENTIAL)
    client.force_login(producer)
    html = client.get(DASHBOARD, {"q": crew.full_name.split()[0]}).content.decode()
    assert "Quiet concern" not in html


def test_malformed_filters_are_explained_not_crashed_on(client, production, producer, assorted):
    client.force_login(producer)
    response = client.get(DASHBOARD, {"level": "two", "category": "<script>", "q": "x" * 500})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a whole number." in html
    assert "Select a valid choice." in html
    assert "Ensure this value has at most 100 characters" in html
    assert "<script>" not in html.split('id="main"')[1].split("</main>")[0].replace("&lt;script&gt;", "")
    assert all(report.title in html for report in assorted.values())  # bad filters are dropped, not applied
    assert client.get(DASHBOARD, {"production": "abc"}).status_code == 404


# --- the polled fragment ------------------------------------------------------------------------------


def test_the_fragment_shows_a_new_critical_report_and_marks_itself(client, production, crew, producer):
    client.force_login(producer)
    before = client.get(FRAGMENT)
    assert "Live round in the prop cart" not in before.content.decode()

    file_at(production, crew, Category.LIVE_AMMUNITION, title="Live round in the prop cart")
    after = client.get(FRAGMENT)

    assert after["X-SafeTrack-Fragment"] == "queue"
    assert "no-cache" in after["Cache-Control"] or "no-store" in after["Cache-Control"]
    html = after.content.decode()
    assert "Live round in the prop cart" in html
    assert 'data-part="lists"' in html and 'data-part="stop-work"' in html
    assert "<nav" not in html  # the lists only, not a page


def test_the_dashboard_page_loads_its_script_and_no_inline_code(client, production, producer):
    client.force_login(producer)
    html = client.get(DASHBOARD).content.decode()
    assert "/static/js/dashboard.js" in html
    assert "<style" not in html
    assert " style=" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None


# --- trends -------------------------------------------------------------------------------------------


def test_trends_are_drawn_as_svg_with_text_alternatives(client, production, crew, producer):
    file_at(production, crew, Category.STUNTS)
    file_at(production, crew, Category.IGNORED_WARNING, title="Nobody checked the guns", warned_whom="The AD")
    client.force_login(producer)

    html = client.get(DASHBOARD).content.decode()

    assert html.count('<svg class="chart-svg"') == 4
    for chart_id in ("chart-categories", "chart-ack", "chart-levels", "chart-warnings"):
        assert f'<title id="{chart_id}-title">' in html
        assert f'<desc id="{chart_id}-desc">' in html
    assert "Reports per week, by category" in html
    assert "Time to acknowledge" in html
    assert "Unresolved reports by escalation level" in html
    assert "Reopened reports and ignored warnings" in html
    assert "2 reports in the last 12 weeks" in html
    assert "<table" in html


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([10.0], 0.9) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([float(n) for n in range(1, 11)], 0.9) == pytest.approx(9.1)


def test_trends_count_reports_time_to_acknowledge_levels_and_reopenings(production, crew, ladder_cast):
    now = timezone.now()
    delays = [1, 2, 3, 4, 10]  # minutes to acknowledge
    for minutes in delays:
        report = file_at(production, crew, Category.OTHER, minutes_ago=30)
        filed = report.created_at
        report_acknowledge(report_id=report.pk, user=ladder_cast["producer"], now=filed + timedelta(minutes=minutes))
    file_at(production, crew, Category.STOP_WORK)  # open, at the top level (5)
    file_at(production, crew, Category.IGNORED_WARNING, warned_whom="The armorer")

    trends = trends_for(production=production, ladder=ladder_for(production), now=now)

    assert trends.per_category[Category.OTHER][-1] == 5
    assert trends.ignored_warnings[-1] == 1
    assert trends.ack_count[-1] == 5
    assert trends.ack_median[-1] == pytest.approx(180, abs=1)
    assert trends.ack_p90[-1] == pytest.approx(456, abs=1)  # 4 min + 0.6 * 6 min
    levels = {lc.number: (lc.open, lc.acknowledged) for lc in trends.levels}
    assert levels[1] == (1, 5)
    assert levels[5] == (1, 0)
    assert sorted(levels) == [1, 2, 3, 4, 5]


# --- a constant number of queries ---------------------------------------------------------------------


def bulk_reports(production, reporter, handler, count):
    """`count` reports spread over open, acknowledged and resolved, each with a filed and an answer event."""
    now = timezone.now()
    rows = []
    for i in range(count):
        status = [ReportStatus.OPEN, ReportStatus.ACKNOWLEDGED, ReportStatus.RESOLVED][i % 3]
        created = now - timedelta(hours=i % 2000)
        rows.append(
            Report(
                production=production,
                category=Category.values[i % len(Category.values)],
                severity=["low", "medium", "high", "critical"][i % 4],
                title=f"Bulk report {i}",
                description="Filed in bulk for the query count test.",
                occurred_at=created,
                reporter=reporter,
                identity=[Identity.NAMED, Identity.CONFIDENTIAL][i % 2],
                status=status,
                escalation_level=1 + i % 5,
                next_escalation_at=None if status == ReportStatus.RESOLVED else now + timedelta(minutes=i - count // 2),
                acknowledged_by=handler if status != ReportStatus.OPEN else None,
                acknowledged_at=created + timedelta(minutes=3) if status != ReportStatus.OPEN else None,
                first_answered_at=created + timedelta(minutes=3) if status != ReportStatus.OPEN else None,
                resolved_by=handler if status == ReportStatus.RESOLVED else None,
                resolved_at=now - timedelta(hours=i % 300) if status == ReportStatus.RESOLVED else None,
                created_at=created,
                trail_seq=2,
            )
        )
    reports = Report.objects.bulk_create(rows)
    events = []
    for report in reports:
        events.append(
            Event(
                report=report,
                seq=1,
                kind=EventKind.FILED,
                created_at=report.created_at,
                prev_hash="0",
                hash=f"f{report.pk}",
            )
        )
        kind = EventKind.REOPENED if report.pk % 7 == 0 else EventKind.ACKNOWLEDGED
        events.append(
            Event(
                report=report,
                seq=2,
                kind=kind,
                actor=handler,
                created_at=report.created_at + timedelta(minutes=4),
                prev_hash=f"f{report.pk}",
                hash=f"a{report.pk}",
            )
        )
    Event.objects.bulk_create(events)


# The ladder comes from the per-process cache (incidents.ladder.LADDERS); the stop-work calls are read once
# for the banner and the list (incidents.selectors.reports.active_stop_work_seen_by), and, this test's call
# being active, its production and caller in two more; the lists' people in one query. (Each costs
# PostgreSQL less than planning the joins they replace.)
DASHBOARD_QUERIES = 16  # and 1: the corrective actions not verified yet
FRAGMENT_QUERIES = 10


@pytest.mark.parametrize("count", [10, 1000])
def test_the_dashboard_takes_the_same_number_of_queries_for_10_or_1000_reports(
    client, production, crew, ladder_cast, count, django_assert_num_queries
):
    producer = ladder_cast["producer"]
    bulk_reports(production, crew, producer, count)
    file_at(production, crew, Category.STOP_WORK, title="Stop!")
    client.force_login(producer)
    client.get(DASHBOARD, {"production": production.pk})  # the session remembers the production once

    cache.clear()  # the first handler in a while computes the weekly trends
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(DASHBOARD, {"production": production.pk, "q": "bulk"})
    assert response.status_code == 200
    with django_assert_num_queries(DASHBOARD_QUERIES - 3):  # the others read them from the cache
        client.get(DASHBOARD, {"production": production.pk})
    with django_assert_num_queries(FRAGMENT_QUERIES):
        assert client.get(FRAGMENT, {"production": production.pk}).status_code == 200


def test_the_lists_name_who_filed_acknowledged_and_resolved_reading_the_people_once(
    client, production, crew, ladder_cast
):
    head, producer = ladder_cast["department_head"], ladder_cast["producer"]
    waiting = file_at(production, crew, title="Waiting")
    taken = file_at(production, crew, title="Taken")
    done = file_at(production, crew, title="Done")
    report_acknowledge(report_id=taken.pk, user=head)
    report_acknowledge(report_id=done.pk, user=producer)
    report_resolve(report_id=done.pk, user=producer, resolution="Fixed.")
    client.force_login(producer)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(FRAGMENT, {"production": production.pk}).content.decode()
    assert page.count(crew.full_name) >= 2 and head.full_name in page and producer.full_name in page
    assert f"#{waiting.pk} Waiting" in page
    lists = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "incidents_report"."id"')]
    assert lists and not any('"accounts_user"' in sql for sql in lists), "the lists join no user table"


def test_acknowledging_from_the_dashboard_form_acknowledges_the_report(client, production, crew, department_head):
    report = file_at(production, crew, Category.OTHER, title="Loose handrail")
    client.force_login(department_head)
    html = client.get(DASHBOARD).content.decode()
    next_url = re.search(r'name="next" value="([^"]+)"', html).group(1).replace("&amp;", "&")

    response = client.post(reverse("report_acknowledge", args=[report.pk]), {"next": next_url})

    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.acknowledged_by) == (ReportStatus.ACKNOWLEDGED, department_head)
    assert "Loose handrail" not in needs_ack_section(client.get(DASHBOARD).content.decode())


def test_rows_at_the_same_level_each_say_their_own_reminders_and_whether_the_top_went_unanswered(
    client, production, crew, ladder_cast
):
    top = ladder_for(production).top
    plain, reminded, unanswered = (file_at(production, crew, title=t) for t in ("Plain", "Reminded", "Unanswered"))
    at_top = Report.objects.filter(pk__in=[plain.pk, reminded.pk, unanswered.pk])
    at_top.update(escalation_level=top)
    Report.objects.filter(pk=reminded.pk).update(reminder_count=2)
    Report.objects.filter(pk=unanswered.pk).update(reminder_count=3, unanswered_at_top_at=timezone.now())
    client.force_login(ladder_cast["producer"])

    html = client.get(FRAGMENT, {"production": production.pk}).content.decode()

    rows = {
        title: re.search(rf"#\d+ {title}</a>.*?</li>", html, re.S).group(0)
        for title in ("Plain", "Reminded", "Unanswered")
    }
    assert f"Level {top} of {top}" in rows["Plain"] and "reminder" not in rows["Plain"]
    assert "reminder 2 of 3" in rows["Reminded"] and "unanswered at the top" not in rows["Reminded"]
    assert "reminder 3 of 3 · unanswered at the top" in rows["Unanswered"]
