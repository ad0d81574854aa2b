"""Issue 14 in a real browser on a phone: a crew member who did not call the stop-work finds it, and its
lift, in their inbox; a live-round report's confirmation calls STOP WORK in one tap, without JavaScript."""

from collections.abc import Callable

from playwright.sync_api import Page, expect

from accounts.models import Production, User
from incidents.categories import Category
from incidents.models import EscalationPolicy, Report
from incidents.services.escalation import report_escalate
from incidents.services.stop_work import stop_work_call, stop_work_lift
from tests.e2e.conftest import Browsing, axe_violations, describe_violations, scroll_overflow
from tests.e2e.test_spanish import switch_language
from tests.factories import file_report


def test_a_crew_member_sees_a_stop_work_in_their_inbox_and_then_its_lift(
    production: Production,
    crew: User,
    other_crew: User,
    ladder_cast: dict[str, User],
    open_page: Callable[..., Page],
    browsing: Browsing,
):
    call = stop_work_call(production=production, caller=crew, reason="Live round found in the prop cart")
    page = open_page(user=other_crew)
    page.goto("/inbox/")
    item = page.locator(".inbox-unread").filter(has_text="STOP WORK called")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Live round found in the prop cart")
    browsing.screenshot(page, "inbox-stop-work")

    # The crew member cannot open the caller's report: the link is the production page's account of it.
    item.get_by_role("link", name="STOP WORK called").click()
    assert page.url.endswith(f"/productions/{production.pk}/#stop-work-{call.pk}")
    expect(page.locator(f"#stop-work-{call.pk}")).to_contain_text("Live round found in the prop cart")

    stop_work_lift(report_id=call.pk, user=ladder_cast["producer"], clearance_note="Cart checked: all dummies")
    page.goto("/inbox/")
    expect(page.locator(".inbox-unread").filter(has_text="Stop-work lifted")).to_have_count(1)
    browsing.screenshot(page, "inbox-lifted")


def test_a_live_round_report_calls_stop_work_in_one_tap_without_javascript(
    production: Production,
    crew: User,
    other_crew: User,
    ladder_cast: dict[str, User],
    open_page: Callable[..., Page],
    browsing: Browsing,
):
    report = file_report(production, crew, Category.LIVE_AMMUNITION, title="Live round in the dummy box")
    page = open_page(user=crew, javascript=False)
    page.goto(f"/reports/{report.pk}/filed/")
    expect(page.get_by_role("heading", name="A live round can kill. Stop work now?")).to_be_visible()
    browsing.screenshot(page, "filed-live-round")
    page.get_by_role("button", name="Call STOP WORK now").click()

    call = Report.objects.get(category=Category.STOP_WORK)
    assert f"report #{report.pk}" in call.title and "Live round in the dummy box" in call.title
    assert call.reporter == crew
    expect(page.locator(".stop-work-banner")).to_contain_text(f"report #{report.pk}")
    browsing.screenshot(page, "called")

    colleague = open_page(user=other_crew)
    colleague.goto("/inbox/")
    expect(colleague.locator(".inbox-unread").filter(has_text="STOP WORK called")).to_have_count(1)


def test_the_new_states_fit_a_phone_and_pass_axe_in_english_and_spanish(
    production: Production,
    crew: User,
    safety: User,
    producer: User,
    executive: User,
    open_page: Callable[..., Page],
    browsing: Browsing,
):
    # No armorer and no UPM: levels 1 and 3 reach nobody (the production page warns, the trail says so).
    EscalationPolicy.objects.filter(production=production).update(top_reminders=1)
    live = file_report(production, crew, Category.LIVE_AMMUNITION, title="Live round in the dummy box")
    unanswered = file_report(production, crew, Category.FATIGUE, title="Sixteen-hour days")
    for _ in range(4):  # filed at 2 (1 has nobody) -> 4 (3 has nobody) -> 5, one reminder, then unanswered
        unanswered.refresh_from_db()
        report_escalate(
            report_id=unanswered.pk, expected_level=unanswered.escalation_level, now=unanswered.next_escalation_at
        )
    unanswered.refresh_from_db()
    assert unanswered.unanswered_at_top_at is not None
    problems: list[str] = []
    for language in ("en-US", "es"):
        pages = [
            (crew, f"/reports/{live.pk}/filed/"),
            (producer, f"/productions/{production.pk}/"),
            (producer, f"/reports/{unanswered.pk}/"),
            (producer, "/dashboard/"),
            (producer, "/"),
        ]
        for user, path in pages:
            page = open_page(user=user, bypass_csp=True)
            page.goto(path)
            if language == "es":
                switch_language(page, "español")
                page.goto(path)
                expect(page.locator("html")).to_have_attribute("lang", "es")
            overflow = scroll_overflow(page)
            if overflow["scrollWidth"] > overflow["clientWidth"]:
                problems.append(f"{language} {path}: wider than the phone: {overflow['overflowing']}")
            violations = axe_violations(page)
            if violations:
                problems.append(f"{language} {path}:\n{describe_violations(violations)}")
            browsing.screenshot(page, f"{language}-{path.strip('/').replace('/', '-') or 'home'}")
    assert not problems, "\n".join(problems)
