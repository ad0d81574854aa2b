"""An investigation on a phone, without JavaScript (issue 20): the safety coordinator starts it from the
report page, writes the why chain and the factors, adds a witness statement, and the record shows it all.
The page fits 360 px and passes axe in English and Spanish."""

from collections.abc import Callable

from playwright.sync_api import Page, expect

from accounts.models import Production, User
from incidents.categories import Category
from incidents.models import Investigation, WitnessStatement
from tests.e2e.conftest import PHONE, Browsing, axe_violations, describe_violations, jpeg_bytes, scroll_overflow
from tests.factories import file_report


def test_the_safety_coordinator_investigates_a_misfire_on_a_phone_without_javascript(
    production: Production, crew: User, ladder_cast: dict[str, User], open_page: Callable[..., Page], browsing: Browsing
):
    report = file_report(production, crew, Category.MISFIRE, title="Revolver went off at rehearsal")
    page = open_page(user=ladder_cast["safety"], javascript=False)
    page.goto(report.get_absolute_url())
    page.get_by_role("link", name="Start the investigation").click()

    page.get_by_label("What happened").fill("The revolver fired a blank during a dry rehearsal of scene 12.")
    page.get_by_label("Why did it happen?").fill("A blank was loaded for a dry rehearsal.")
    page.get_by_label("Why was that? (2)").fill("The call sheet marked the wrong scene hot.")
    page.get_by_label("Fatigue").check()
    page.get_by_label("Other", exact=True).check()
    page.get_by_label("Other factor").fill("New second unit")
    page.get_by_role("button", name="Save the investigation").click()

    expect(page.get_by_text("Investigation saved.")).to_be_visible()
    expect(page.get_by_text("The call sheet marked the wrong scene hot.").first).to_be_visible()
    page.get_by_label("Whose statement").fill("Dee Dolly")
    page.get_by_label("The statement").set_input_files(
        files=[{"name": "statement.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    page.get_by_role("button", name="Add the statement").click()
    expect(page.get_by_text("Statement added to the investigation.")).to_be_visible()
    expect(page.get_by_role("link", name="Dee Dolly")).to_be_visible()
    browsing.screenshot(page, "investigation-on-a-phone")

    investigation = Investigation.objects.get(report=report)
    assert investigation.whys[-1] == "The call sheet marked the wrong scene hot."
    assert investigation.factors == ["fatigue", "other"]
    assert WitnessStatement.objects.filter(investigation=investigation).count() == 1

    page.goto(f"/reports/{report.pk}/record/")
    expect(page.get_by_text("Statement 1: Dee Dolly")).to_be_visible()

    checked = open_page(user=ladder_cast["safety"], bypass_csp=True)  # axe is a script
    for language in ("en", "es"):
        checked.context.add_cookies([{"name": "django_language", "value": language, "url": browsing.base_url}])
        for url in (f"/reports/{report.pk}/investigation/", report.get_absolute_url()):
            checked.goto(url)
            measured = scroll_overflow(checked)
            assert measured["scrollWidth"] <= PHONE["width"] and not measured["overflowing"], (url, language, measured)
            violations = axe_violations(checked)
            assert not violations, describe_violations(violations)
