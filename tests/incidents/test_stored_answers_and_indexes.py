"""Issue 17 at scale: a report keeps when it was first answered (the trend percentiles read no event), the
active stop-work calls and the dashboard's counts have indexes of their own, and the banner costs one
query per request however many parts of the page show the calls."""

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.categories import Category
from incidents.models import Report
from incidents.reporting.stats import ANSWER_PERCENTILES_SQL, week_summary, weekly_series
from incidents.services.filing import report_file
from incidents.services.handling import report_acknowledge, report_reopen, report_resolve
from tests.factories import draft

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's")


def file(production, reporter, category=Category.OTHER, *, minutes_ago=0, **fields):
    now = timezone.now() - timedelta(minutes=minutes_ago)
    return report_file(production=production, reporter=reporter, draft=draft(category, **fields), now=now)


def test_the_first_acknowledgement_is_kept_when_the_report_is_reopened_and_acknowledged_again(
    production, crew, ladder_cast
):
    report = file(production, crew, minutes_ago=60)
    first = report.created_at + timedelta(minutes=5)
    report_acknowledge(report_id=report.pk, user=ladder_cast["producer"], now=first)
    report_resolve(report_id=report.pk, user=ladder_cast["producer"], resolution="Cable taped down.")
    report_reopen(report_id=report.pk, user=crew, reason="The cable is loose again.")
    report_acknowledge(report_id=report.pk, user=ladder_cast["producer"])

    report.refresh_from_db()
    assert report.first_answered_at == first
    assert report.acknowledged_at > first  # the current acknowledgement is the new one


def test_a_report_resolved_straight_away_was_first_answered_when_resolved(production, crew, ladder_cast):
    report = file(production, crew, minutes_ago=30)
    report_resolve(report_id=report.pk, user=ladder_cast["producer"], resolution="Swept the glass up.")

    report.refresh_from_db()
    assert report.first_answered_at == report.resolved_at


def test_the_weekly_answer_times_and_the_digest_read_reports_only_never_events(production, crew, ladder_cast):
    for minutes in (2, 4, 6):
        report = file(production, crew, minutes_ago=30)
        report_acknowledge(
            report_id=report.pk, user=ladder_cast["producer"], now=report.created_at + timedelta(minutes=minutes)
        )
    now = timezone.now()

    with CaptureQueriesContext(connection) as captured:
        series = weekly_series(production=production, now=now)
        summary = week_summary(production=production, start=now - timedelta(days=7), end=now + timedelta(minutes=1))

    assert series.ack_count[-1] == 3
    assert series.ack_median[-1] == pytest.approx(240, abs=1)
    assert (summary.acknowledged, summary.median_ack_seconds) == (3, pytest.approx(240, abs=1))
    answer_queries = [q["sql"] for q in captured.captured_queries if "first_answered_at" in q["sql"]]
    assert len(answer_queries) == 2
    assert not any("incidents_event" in sql for sql in answer_queries)


def test_the_backfill_takes_each_reports_first_acknowledgement_or_resolution_from_its_trail(
    production, crew, ladder_cast
):
    acknowledged = file(production, crew, minutes_ago=90)
    first = acknowledged.created_at + timedelta(minutes=7)
    report_acknowledge(report_id=acknowledged.pk, user=ladder_cast["producer"], now=first)
    report_resolve(report_id=acknowledged.pk, user=ladder_cast["producer"], resolution="Done.")
    reopened = file(production, crew, minutes_ago=60)
    report_resolve(report_id=reopened.pk, user=ladder_cast["producer"], resolution="Done.")
    report_reopen(report_id=reopened.pk, user=crew, reason="Not fixed.")
    untouched = file(production, crew, minutes_ago=30)
    Report.objects.update(first_answered_at=None)  # as the rows stood before the migration
    migration = importlib.import_module("incidents.migrations.0016_report_first_answered_and_indexes")

    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)

    values = dict(Report.objects.values_list("pk", "first_answered_at"))
    reopened.refresh_from_db()
    assert values[acknowledged.pk] == first
    assert values[reopened.pk] is not None and reopened.status == "open"
    assert values[untouched.pk] is None


def test_the_banner_and_the_dashboards_list_of_stop_work_calls_are_one_query(client, production, crew, producer):
    file(production, crew, Category.STOP_WORK, title="Stop! Loose rigging")
    client.force_login(producer)
    client.get(DASHBOARD, {"production": production.pk})

    with CaptureQueriesContext(connection) as captured:
        response = client.get(DASHBOARD, {"production": production.pk})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("Stop! Loose rigging") >= 2  # the banner and the dashboard's list
    stop_work_queries = [q["sql"] for q in captured.captured_queries if "'stop_work'" in q["sql"]]
    assert len(stop_work_queries) == 1, stop_work_queries


def test_the_production_page_shares_the_banners_query_too(client, production, crew):
    file(production, crew, Category.STOP_WORK, title="Stop! Smoke on stage 4")
    client.force_login(crew)
    client.get(reverse("production_detail", args=[production.pk]))

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("production_detail", args=[production.pk]))

    assert response.status_code == 200
    # The active calls (the banner's); the calls lifted this week are another question, asked once too.
    stop_work_queries = [q["sql"] for q in captured.captured_queries if "'stop_work'" in q["sql"]]
    active = [sql for sql in stop_work_queries if '"lifted_at" IS NULL' in sql]
    assert len(active) == 1 and len(stop_work_queries) == 2, stop_work_queries


# --- the plans use the indexes ------------------------------------------------------------------------
# One production among bigger ones, two years of reports, statistics gathered: the planner then chooses as it
# would on a real database (the benchmarks time the same queries at 10,000 and 100,000 reports).


@pytest.fixture
def big_database(production, other_production, crew):
    now = timezone.now()
    rows = []
    for i in range(12_000):
        ours = i % 12 == 0
        created = now - timedelta(hours=i % (2 * 365 * 24))
        status = "open" if i % 50 == 0 else "acknowledged" if i % 25 == 0 else "resolved"
        answered = created + timedelta(minutes=5) if status != "open" else None
        rows.append(
            Report(
                production=production if ours else other_production,
                category=Category.values[i % len(Category.values)],
                severity="medium",
                title=f"Report {i}",
                occurred_at=created,
                reporter=crew,
                status=status,
                acknowledged_at=answered,
                first_answered_at=answered,
                resolved_at=created + timedelta(hours=2) if status == "resolved" else None,
                lifted_at=None if i == 0 else created + timedelta(hours=1),
                created_at=created,
            )
        )
    Report.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_report")
    return production


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@postgresql_only
def test_the_active_stop_work_calls_are_read_from_their_partial_index(big_database):
    calls = Report.objects.active_stop_work().filter(production_id__in=[big_database.pk]).order_by("-created_at")

    assert "report_active_stop_work" in plan_of(calls[:100])


@postgresql_only
def test_the_trend_percentiles_read_the_weeks_reports_by_index_and_no_event(big_database):
    sql = ANSWER_PERCENTILES_SQL.format(report=connection.ops.quote_name(Report._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, [big_database.timezone, big_database.pk, timezone.now() - timedelta(weeks=12)])
        plan = "\n".join(row[0] for row in cursor.fetchall())

    # By the production's index or by the filing time's (both bounded by the twelve weeks): never every row.
    assert "Index Scan" in plan or "Bitmap Index Scan" in plan, plan
    assert "Seq Scan" not in plan and "incidents_event" not in plan, plan


@postgresql_only
def test_the_weekly_counts_and_the_digests_answers_are_read_by_index(big_database):
    now = timezone.now()
    filed = Report.objects.filter(production=big_database, created_at__gte=now - timedelta(weeks=12))
    answered = Report.objects.filter(
        production=big_database, first_answered_at__gte=now - timedelta(days=7), first_answered_at__lt=now
    )

    filed_plan = plan_of(filed.values("category").order_by())
    assert "Index" in filed_plan and "Seq Scan" not in filed_plan, filed_plan
    assert "report_first_answered" in plan_of(answered.values_list("created_at", "first_answered_at").order_by())


@postgresql_only
def test_the_dashboard_counts_read_the_production_scoped_queue_indexes(big_database):
    now = timezone.now()
    unresolved = Report.objects.filter(production=big_database, status__in=["open", "acknowledged"]).order_by()
    resolved = Report.objects.filter(production=big_database, status="resolved", resolved_at__gte=now).order_by()

    # The unresolved reports: either index leading with (production, status) serves them, at the same cost
    # (PostgreSQL picks one or the other from run to run); never a scan of the production's resolved ones.
    unresolved_plan = plan_of(unresolved.values("pk"))
    assert "report_queue" in unresolved_plan or "report_resolved_recent" in unresolved_plan, unresolved_plan
    assert "Seq Scan" not in unresolved_plan and "production_id" in unresolved_plan, unresolved_plan
    assert "status" in unresolved_plan.split("Cond:", 1)[-1], unresolved_plan
    assert "report_resolved_recent" in plan_of(resolved.values("pk"))


# --- the filing POST: a constant number of queries -----------------------------------------------------


@pytest.mark.parametrize("category", [Category.OTHER, Category.MISFIRE])
def test_filing_takes_the_same_number_of_queries_with_1_or_30_earlier_reports(
    client, production, crew, ladder_cast, category, django_assert_num_queries
):
    from tests.incidents.test_report_form import form_data, new_url

    production.refresh_from_db()  # as a request loads it: the ladder cache is keyed on its config_version
    client.force_login(crew)
    file(production, crew, category)
    client.post(new_url(production), form_data(production, category, title="Warm-up"))  # caches, session
    with CaptureQueriesContext(connection) as few:
        assert client.post(new_url(production), form_data(production, category, title="Second")).status_code == 302
    for n in range(30):
        file(production, crew, category, title=f"Earlier {n}")

    with django_assert_num_queries(len(few.captured_queries)):
        response = client.post(new_url(production), form_data(production, category, title="Thirty-third"))

    assert response.status_code == 302
    assert Report.objects.filter(title="Thirty-third").exists()


@pytest.mark.parametrize("category", [Category.OTHER, Category.MISFIRE])
def test_a_warm_filing_reads_no_contact_no_warning_word_and_no_key_before_it_inserts(
    client, production, crew, ladder_cast, category
):
    """What filing reads on every request is cached per production (contacts, warning words) or left to a
    unique index (the submission key); a repeat misfire's earlier report is found and locked at once."""
    import uuid

    from tests.incidents.test_report_form import form_data, new_url

    client.force_login(crew)
    for title in ("Warm-up", "Warm-up repeat"):  # caches, session; a second misfire tells the top level too
        client.post(new_url(production), form_data(production, category, title=title))
    data = form_data(production, category, title="Second", idempotency_key=str(uuid.uuid4()))
    with CaptureQueriesContext(connection) as captured:
        assert client.post(new_url(production), data).status_code == 302

    statements = [q["sql"] for q in captured.captured_queries]
    for table in ("incidents_warningterm", "incidents_channelpreference", "incidents_pushsubscription"):
        assert not [sql for sql in statements if table in sql], f"a warm filing read {table}"
    report_reads = [sql for sql in statements if sql.startswith('SELECT "incidents_report"')]
    if category == Category.MISFIRE:  # a repeat of the warm-up misfire
        assert len(report_reads) == 1 and "FOR UPDATE" in report_reads[0]
        assert Report.objects.get(title="Second").repeat_of.title == "Warm-up repeat"
    else:
        assert report_reads == []  # not even by its submission key
