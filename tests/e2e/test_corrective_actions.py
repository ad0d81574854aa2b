"""Corrective actions end to end on a phone, without JavaScript (issue 20): a handler resolves a report
with two actions, an owner marks one done with a photo, another person verifies both, and the reporter
sees the report resolved. The action page fits 360 px and passes axe in English and Spanish."""

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Production, Role, User
from incidents.categories import Category
from incidents.models import ActionStatus, CorrectiveAction, ReportStatus
from incidents.services.actions import action_mark_done
from tests.e2e.conftest import PHONE, Browsing, axe_violations, describe_violations, jpeg_bytes, scroll_overflow
from tests.factories import file_report, member


def test_a_handler_resolves_with_two_actions_that_someone_else_verifies(
    production: Production, crew: User, ladder_cast: dict[str, User], open_page: Callable[..., Page], browsing: Browsing
):
    report = file_report(production, crew, Category.RIGGING, title="Ladder without rubber feet")
    grip = member(production, Role.CREW, full_name="Gil Grip")
    armorer = ladder_cast["armorer"]
    due = (timezone.localdate(timezone.now(), production.tzinfo) + timedelta(days=2)).isoformat()

    # The safety coordinator resolves the report by planning two actions.
    handler = open_page(user=ladder_cast["safety"], javascript=False)
    handler.goto(report.get_absolute_url())
    handler.get_by_label("What was found, and what will be done").fill("The ladder slipped: new feet, and a check.")
    for number, (what, owner, done_means) in enumerate(
        [
            ("Fit rubber feet to every ladder", "Gil Grip · Crew member", "Every ladder on the truck has four feet"),
            ("Add ladders to the morning check", "Arden Armorer · Armorer", "The checklist has a ladder line"),
        ],
        start=1,
    ):
        row = handler.locator("fieldset", has_text=f"Action {number}")
        row.get_by_label("What to do").fill(what)
        row.get_by_label("Who does it").select_option(label=owner)
        row.get_by_label("Due by").fill(due)
        row.get_by_label("Done means").fill(done_means)
    handler.get_by_role("button", name="Plan these actions").click()
    expect(handler.get_by_text("Corrective actions planned.")).to_be_visible()
    expect(handler.get_by_text("0 of 2 verified.")).to_be_visible()
    first, second = CorrectiveAction.objects.filter(report=report).order_by("number")

    # The grip, who may not open the report itself, marks theirs done with a photo from the home page.
    owner = open_page(user=grip, javascript=False)
    owner.goto("/")
    owner.get_by_role("link", name="Fit rubber feet to every ladder").click()
    owner.get_by_label("What did you do?").fill("Feet fitted on all six ladders.")
    owner.get_by_label("Photos or PDFs (optional)").set_input_files(
        files=[{"name": "feet.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    owner.get_by_role("button", name="It is done").click()
    expect(owner.get_by_text("Marked done.")).to_be_visible()
    browsing.screenshot(owner, "action-marked-done")
    action_mark_done(action_id=second.pk, user=armorer, note="Ladder line added to the checklist.")

    # The UPM, neither owner nor reporter, verifies both.
    verifier = open_page(user=ladder_cast["upm"], javascript=False)
    for action in (first, second):
        verifier.goto(action.get_absolute_url())
        verifier.get_by_role("button", name="Verified: it is done").click()
        expect(verifier.get_by_text("Verified.")).to_be_visible()
    expect(verifier.get_by_text("the report is resolved")).to_be_visible()
    assert set(CorrectiveAction.objects.filter(report=report).values_list("status", flat=True)) == {
        ActionStatus.VERIFIED
    }

    # The reporter sees it resolved, with both actions, and may still reopen it.
    reporter = open_page(user=crew, javascript=False)
    reporter.goto(report.get_absolute_url())
    expect(reporter.get_by_text("2 of 2 verified.")).to_be_visible()
    expect(reporter.get_by_text("Resolved by")).to_be_visible()
    expect(reporter.get_by_role("button", name="Reopen this report")).to_be_visible()
    report.refresh_from_db()
    assert report.status == ReportStatus.RESOLVED

    checked = open_page(user=grip, bypass_csp=True)  # axe is a script
    for language in ("en", "es"):
        checked.context.add_cookies([{"name": "django_language", "value": language, "url": browsing.base_url}])
        for url in (first.get_absolute_url(), "/"):
            checked.goto(url)
            measured = scroll_overflow(checked)
            assert measured["scrollWidth"] <= PHONE["width"] and not measured["overflowing"], (url, language, measured)
            violations = axe_violations(checked)
            assert not violations, describe_violations(violations)
