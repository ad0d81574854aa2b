"""Ignored warnings and repeat firearm incidents: the patterns that came before the Rust shooting."""

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Role
from incidents.categories import Category, Severity
from incidents.models import Channel, EventKind, Report
from incidents.selectors.reports import ignored_warning_counts
from incidents.services.filing import report_file
from incidents.services.handling import report_acknowledge, report_reopen, report_resolve
from incidents.trail import verify_trail
from tests.factories import draft, file_report, member

pytestmark = pytest.mark.django_db


def _file_at(production, reporter, category, at, **fields):
    return report_file(
        production=production, reporter=reporter, draft=draft(category, occurred_at=at, **fields), now=at
    )


def _told(report, kind):
    event = report.events.get(kind=kind)
    return {n.recipient_id for n in event.notifications.filter(channel=Channel.IN_APP)}


# --- repeat incidents --------------------------------------------------------------------------------


def test_a_second_misfire_within_the_window_is_critical_and_reaches_the_top_level_at_once(
    production, crew, other_crew, ladder_cast
):
    now = timezone.now()
    first = _file_at(production, crew, Category.MISFIRE, now - timedelta(days=3))
    assert first.severity == Severity.HIGH and first.repeat_of is None
    second = _file_at(production, other_crew, Category.MISFIRE, now)
    assert second.severity == Severity.CRITICAL
    assert second.repeat_of == first
    told = _told(second, EventKind.FILED)
    assert told == {ladder_cast["department_head"].pk, ladder_cast["armorer"].pk, ladder_cast["executive"].pk}
    # Both reports say "repeat incident", each pointing at the other.
    assert second.events.get(kind=EventKind.REPEAT_INCIDENT).payload["earlier_report"] == first.pk
    assert first.events.get(kind=EventKind.REPEAT_INCIDENT).payload["later_report"] == second.pk
    assert list(first.repeats.all()) == [second]
    for report in (first, second):
        assert verify_trail(Report.objects.get(pk=report.pk)).intact


def test_a_second_misfire_outside_the_window_is_not_a_repeat(production, crew, ladder_cast):
    now = timezone.now()
    _file_at(production, crew, Category.MISFIRE, now - timedelta(days=15))
    second = _file_at(production, crew, Category.MISFIRE, now)
    assert (second.severity, second.repeat_of) == (Severity.HIGH, None)
    assert ladder_cast["executive"].pk not in _told(second, EventKind.FILED)
    assert not second.events.filter(kind=EventKind.REPEAT_INCIDENT).exists()


def test_the_rule_and_its_window_are_settings_of_the_policy(production, crew, ladder_cast):
    policy = production.policy
    policy.repeat_incident_window = timedelta(days=30)
    policy.save()
    now = timezone.now()
    _file_at(production, crew, Category.UNSAFE_HANDLING, now - timedelta(days=20))
    assert _file_at(production, crew, Category.MISFIRE, now - timedelta(days=1)).severity == Severity.CRITICAL
    policy.repeat_incident_enabled = False
    policy.save()
    production.refresh_from_db()  # as the next request loads it (the cached ladder keys on its config_version)
    third = _file_at(production, crew, Category.MISFIRE, now)
    assert (third.severity, third.repeat_of) == (Severity.HIGH, None)


def test_any_firearm_category_counts_but_other_categories_do_not(production, crew, ladder_cast):
    now = timezone.now()
    _file_at(production, crew, Category.LIVE_AMMUNITION, now - timedelta(days=2))
    rigging = _file_at(production, crew, Category.RIGGING, now - timedelta(days=1))
    assert rigging.repeat_of is None and rigging.severity == Severity.MEDIUM
    handling = _file_at(production, crew, Category.UNSAFE_HANDLING, now)
    assert handling.repeat_of is not None and handling.repeat_of.category == Category.LIVE_AMMUNITION


def test_a_misfire_on_another_production_is_not_this_productions_pattern(
    production, other_production, crew, ladder_cast
):
    now = timezone.now()
    _file_at(other_production, member(other_production, Role.CREW), Category.MISFIRE, now - timedelta(days=1))
    assert _file_at(production, crew, Category.MISFIRE, now).repeat_of is None


# --- ignored warnings -------------------------------------------------------------------------------


def test_linking_earlier_reports_writes_on_them_and_tells_the_level_above_their_handlers(
    production, crew, other_crew, ladder_cast
):
    acknowledged = file_report(production, crew, Category.RIGGING, title="Harness frayed")
    report_acknowledge(report_id=acknowledged.pk, user=ladder_cast["department_head"])
    resolved = file_report(production, crew, Category.FATIGUE, title="18-hour days")
    report_acknowledge(report_id=resolved.pk, user=ladder_cast["safety"])
    report_resolve(report_id=resolved.pk, user=ladder_cast["safety"], resolution="Turnaround fixed")
    untouched = file_report(production, crew, Category.STUNTS, title="No pads on the stunt fall")

    warning = file_report(
        production,
        other_crew,
        Category.IGNORED_WARNING,
        title="Nobody acts on our reports",
        earlier_reports=[acknowledged, resolved, untouched],
        identity="confidential",
    )
    assert set(warning.earlier_reports.all()) == {acknowledged, resolved, untouched}
    for earlier in (acknowledged, resolved, untouched):
        event = earlier.events.get(kind=EventKind.WARNING_IGNORED)
        assert event.payload["later_report"] == warning.pk
        assert event.actor is None  # the earlier report's trail never names the new reporter
        assert verify_trail(Report.objects.get(pk=earlier.pk)).intact
    # A department head acknowledged it: level 2 (safety) hears. Safety resolved it: level 3 (UPM).
    assert _told(acknowledged, EventKind.WARNING_IGNORED) == {ladder_cast["safety"].pk}
    assert _told(resolved, EventKind.WARNING_IGNORED) == {ladder_cast["upm"].pk}
    # Nobody handled it yet (level 1): the level above it hears.
    assert _told(untouched, EventKind.WARNING_IGNORED) == {ladder_cast["safety"].pk}


def test_a_warning_given_outside_the_app_is_kept_on_the_report(production, crew, ladder_cast):
    report = file_report(
        production,
        crew,
        Category.IGNORED_WARNING,
        warned_whom="The 1st AD",
        warned_on=timezone.localdate() - timedelta(days=2),
        warned_how="Told him at lunch the prop cart was left open.",
    )
    assert report.warned_whom == "The 1st AD" and report.earlier_reports.count() == 0
    html = render_to_string("incidents/includes/report_links.html", {"report": report, "user": crew})
    assert "The 1st AD" in html and "prop cart was left open" in html


def test_an_earlier_report_of_another_production_cannot_be_linked(production, other_production, crew, ladder_cast):
    elsewhere = file_report(other_production, member(other_production, Role.CREW), Category.OTHER)
    warning = file_report(production, crew, Category.IGNORED_WARNING, earlier_reports=[elsewhere])
    assert warning.earlier_reports.count() == 0
    assert not elsewhere.events.filter(kind=EventKind.WARNING_IGNORED).exists()


def test_ignored_warnings_are_counted_with_reopened_reports(production, other_production, crew, ladder_cast):
    since = timezone.now() - timedelta(days=7)
    file_report(production, crew, Category.IGNORED_WARNING, warned_how="Said so twice")
    fixed = file_report(production, crew, Category.FATIGUE)
    report_acknowledge(report_id=fixed.pk, user=ladder_cast["department_head"])
    report_resolve(report_id=fixed.pk, user=ladder_cast["department_head"], resolution="Shorter days")
    report_reopen(report_id=fixed.pk, user=crew, reason="Still 16 hours")
    file_report(other_production, member(other_production, Role.CREW), Category.IGNORED_WARNING)
    counts = ignored_warning_counts(production, since)
    assert (counts.reports, counts.reopened, counts.total) == (1, 1, 2)
    assert ignored_warning_counts(production, timezone.now() + timedelta(seconds=1)).total == 0


# --- what the report page shows ---------------------------------------------------------------------


def test_both_reports_show_repeat_incident_with_a_link_to_each_other(production, crew, other_crew, ladder_cast):
    now = timezone.now()
    first = _file_at(production, crew, Category.MISFIRE, now - timedelta(days=1), title="Squib load in the revolver")
    second = _file_at(production, other_crew, Category.MISFIRE, now, title="Second misfire at the same set")
    handler = ladder_cast["safety"]
    on_first = render_to_string("incidents/includes/report_links.html", {"report": first, "user": handler})
    on_second = render_to_string("incidents/includes/report_links.html", {"report": second, "user": handler})
    assert "Repeat incident" in on_first and "Repeat incident" in on_second
    assert second.get_absolute_url() in on_first and first.get_absolute_url() in on_second
    # The crew member who filed the second may not open the first: told it exists, never its title.
    own = render_to_string("incidents/includes/report_links.html", {"report": second, "user": other_crew})
    assert "Repeat incident" in own and "Squib load" not in own and first.get_absolute_url() not in own


def test_the_links_render_in_constant_queries(production, crew, ladder_cast, django_assert_num_queries):
    earlier = [file_report(production, crew, Category.OTHER, title=f"Earlier {n}") for n in range(6)]
    few = file_report(production, crew, Category.IGNORED_WARNING, earlier_reports=earlier[:1])
    many = file_report(production, crew, Category.IGNORED_WARNING, earlier_reports=earlier)
    handler = ladder_cast["upm"]
    render_to_string("incidents/includes/report_links.html", {"report": few, "user": handler})  # memberships
    with django_assert_num_queries(3):
        render_to_string("incidents/includes/report_links.html", {"report": few, "user": handler})
    with django_assert_num_queries(3):
        html = render_to_string("incidents/includes/report_links.html", {"report": many, "user": handler})
    assert all(f"Earlier {n}" in html for n in range(6))
    on_earlier = render_to_string("incidents/includes/report_links.html", {"report": earlier[0], "user": handler})
    assert "A later report says this warning was ignored" in on_earlier and few.get_absolute_url() in on_earlier
