"""Progressive enhancement: with JavaScript off, a report (firearm details included) can be filed and
acknowledged, from the report page and from the dashboard."""

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from accounts.models import Production, User
from incidents.categories import Category
from incidents.models import Report, ReportStatus
from tests.e2e.conftest import DESKTOP, Browsing
from tests.factories import file_report


def test_crew_member_files_a_firearm_report_without_javascript(
    production: Production, crew: User, ladder_cast: dict[str, User], open_page: Callable[..., Page], browsing: Browsing
):
    page = open_page(user=crew, javascript=False)
    page.goto("/reports/new/")
    # Without the script every part of the form is shown, the firearm questions included.
    expect(page.get_by_role("textbox", name="Weapon")).to_be_visible()
    expect(page.get_by_role("group", name="Ammunition")).to_be_visible()
    expect(page.get_by_label("Was the armorer there?")).to_be_visible()
    page.get_by_label("Live round").check()
    # Without the script the chosen category's help still shows (CSS), and only that one.
    expect(page.get_by_text("Any real round seen, found or suspected on set")).to_be_visible()
    expect(page.get_by_text("A gun fired when it should not have")).to_be_hidden()
    page.get_by_label("In a few words").fill("Live round in the prop cart")
    page.get_by_label("What happened?").fill("A brass round with a bullet head was in the dummy box.")
    page.get_by_role("textbox", name="Weapon").fill("Prop cart B")
    page.get_by_label("Live", exact=True).check()
    page.get_by_label("Was the armorer there?").select_option(label="No")
    browsing.screenshot(page, "form-without-javascript")
    page.get_by_role("button", name="Send the report").click()

    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    report = Report.objects.get()
    assert (report.category, report.severity, report.ammunition, report.weapon) == (
        Category.LIVE_AMMUNITION,
        "critical",
        "live",
        "Prop cart B",
    )
    assert report.reporter == crew


def test_handlers_acknowledge_without_javascript_from_the_report_page_and_the_dashboard(
    production: Production, crew: User, ladder_cast: dict[str, User], open_page: Callable[..., Page], browsing: Browsing
):
    first = file_report(production, crew, Category.MISFIRE, title="Misfire on the saloon set")
    second = file_report(production, crew, Category.RIGGING, title="Loose truss over stage 2")

    head = open_page(user=ladder_cast["department_head"], javascript=False)
    head.goto(first.get_absolute_url())
    head.get_by_role("button", name="Acknowledge: I am on it").click()
    expect(head.get_by_text("You acknowledged report #")).to_be_visible()
    expect(head.get_by_text(re.compile("Acknowledged by Kay Keygrip at"))).to_be_visible()
    browsing.screenshot(head, "acknowledged-on-the-report-page")

    producer = open_page(user=ladder_cast["producer"], javascript=False)
    producer.goto("/dashboard/")
    row = producer.locator(f"li.queue-row[data-report='{second.pk}']")
    row.get_by_text("Acknowledge", exact=False).first.click()  # <details>: opens without a script
    row.get_by_role("button", name=f"Yes, acknowledge #{second.pk}").click()
    expect(producer.get_by_text("You acknowledged report #")).to_be_visible()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.acknowledged_by) == (ReportStatus.ACKNOWLEDGED, ladder_cast["department_head"])
    assert (second.status, second.acknowledged_by) == (ReportStatus.ACKNOWLEDGED, ladder_cast["producer"])


def test_without_javascript_a_phone_still_reaches_every_menu_link_and_logs_out(
    production: Production, crew: User, open_page: Callable[..., Page]
):
    page = open_page(user=crew, javascript=False)  # a phone: 360 px, the menu collapsed
    page.goto("/")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()  # it needs a script to open anything
    for name in ("Report a concern", "Reports"):
        expect(page.locator("nav").get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_label("Language")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()

    desktop = open_page(user=crew, javascript=False, viewport=DESKTOP)  # a wide screen: the usual single row
    desktop.goto("/")
    report_link = desktop.locator("nav").get_by_role("link", name="Report a concern").bounding_box()
    log_out = desktop.get_by_role("button", name="Log out").bounding_box()
    assert report_link and log_out and abs(report_link["y"] - log_out["y"]) < 10
