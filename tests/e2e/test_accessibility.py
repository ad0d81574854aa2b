"""Accessibility: axe-core (vendored for the tests only) on the key pages finds nothing serious or
critical (nor moderate: heading order and landmarks), and keyboard focus is always visible."""

from collections.abc import Callable

from playwright.sync_api import Page, expect

from accounts.models import Production, User
from incidents.categories import Category
from tests.e2e.conftest import Browsing, Scene, axe_violations, describe_violations
from tests.factories import file_report, firearms_day, weapon


def check(page: Page, name: str, problems: list[str]) -> None:
    violations = axe_violations(page)
    if violations:
        problems.append(f"--- {name} ({page.url})\n{describe_violations(violations)}")


def test_key_pages_have_no_axe_violations_of_moderate_impact_or_worse(
    scene: Callable[..., Scene], open_page: Callable[..., Page], browsing: Browsing
):
    world = scene(stopped=True)
    problems: list[str] = []

    # Axe is injected as a script, which the site's Content-Security-Policy forbids: this context only
    # bypasses it.
    visitor = open_page(bypass_csp=True)
    for name, path in [
        ("home, visitor", "/"),
        ("login", "/accounts/login/"),
        ("signup", "/accounts/signup/"),
        ("anonymous report form", f"/anonymous/{world.production.join_code}/"),
        ("receipt", "/receipt/"),
    ]:
        visitor.goto(path)
        check(visitor, name, problems)
    visitor.get_by_label("Receipt code").fill(world.receipt_code)
    visitor.get_by_role("button", name="Show my report").click()
    expect(visitor.get_by_role("heading", name="Reply to the handlers")).to_be_visible()
    check(visitor, "receipt status", problems)

    crew = open_page(user=world.crew, bypass_csp=True)
    for name, path in [
        ("home, member", "/"),
        ("report form", "/reports/new/"),
        ("report page, reporter", f"/reports/{world.report.pk}/"),
        ("report filed", f"/reports/{world.report.pk}/filed/"),
        ("my reports", "/reports/"),
        ("stop-work", "/stop-work/"),
    ]:
        crew.goto(path)
        check(crew, name, problems)
    # The report form sent empty: the error summary and every field's message.
    crew.goto("/reports/new/")
    crew.locator("#report-form").evaluate("form => { form.noValidate = true; }")
    crew.get_by_role("button", name="Send the report").click()
    expect(crew.get_by_text("The report was not sent yet. Please fix:")).to_be_visible()
    check(crew, "report form with errors", problems)
    browsing.screenshot(crew, "report-form-with-errors")

    head = open_page(user=world.handlers["department_head"], bypass_csp=True)
    for name, path in [("inbox", "/inbox/"), ("report page, handler", f"/reports/{world.report.pk}/")]:
        head.goto(path)
        check(head, name, problems)

    producer = open_page(user=world.handlers["producer"], bypass_csp=True)
    producer.goto("/dashboard/")
    producer.get_by_text("Filters and search").click()
    producer.locator(".ack-confirm summary").first.click()
    check(producer, "dashboard (filters and a confirmation open)", problems)
    assert world.stop_work is not None
    producer.goto(f"/reports/{world.stop_work.pk}/lift/")
    check(producer, "lift stop-work", problems)

    assert not problems, "axe found problems (moderate or worse):\n" + "\n".join(problems)


FOCUS_RING = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''),
    outline: style.outlineStyle !== 'none' ? parseFloat(style.outlineWidth) : 0,
    shadow: style.boxShadow,
  };
}"""


def test_keyboard_focus_is_always_visible(
    scene: Callable[..., Scene], open_page: Callable[..., Page], browsing: Browsing
):
    world = scene()
    page = open_page(user=world.crew)
    page.goto("/reports/new/")
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_RING)
        seen.append(focus["tag"])
        assert focus["outline"] >= 3, f"no visible focus on {focus['tag']}: {focus}"
        assert focus["shadow"] != "none", f"no dark focus ring on {focus['tag']}: {focus}"
        if focus["tag"] == "input#id_category_0":
            browsing.screenshot(page, "focus-on-a-category", full_page=False)
    # The skip link comes first; then the menu, and the form's controls in order.
    assert seen[0] == "a"
    assert seen.index("input#id_category_0") < seen.index("input#id_title") < seen.index("textarea#id_description")


FOCUSED = """() => {
    const e = document.activeElement;
    return {tag: e.tagName, text: (e.innerText || e.value || '').trim().slice(0, 120), name: e.name || ''};
}"""


def focus_after_load(page: Page) -> dict[str, str]:
    """Where the focus is once the page has loaded and its scripts have run."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)
    return page.evaluate(FOCUSED)


def test_a_refused_form_takes_the_focus_to_what_is_wrong(
    production: Production, crew: User, ladder_cast: dict[str, User], open_page: Callable[..., Page]
):
    report = file_report(production, crew, Category.RIGGING, title="Ladder without rubber feet")
    armorer, safety = ladder_cast["armorer"], ladder_cast["safety"]
    gun = weapon(production, armorer)
    firearms_day(production, safety)

    # A corrective-action plan sent with nothing in it: the summary above the form has the focus.
    handler = open_page(user=safety)
    handler.goto(report.get_absolute_url())
    handler.get_by_role("button", name="Plan these actions").click()
    expect(handler.get_by_text("Nothing was planned yet")).to_be_visible()
    focused = focus_after_load(handler)
    assert "Nothing was planned yet" in focused["text"], focused

    # A check-out without its scene: the refusal, or the field refused, has the focus.
    keeper = open_page(user=armorer)
    keeper.goto(f"/productions/{production.pk}/armory/weapons/{gun.pk}/check-out/")
    keeper.get_by_role("button", name="Check out").click()
    focused = focus_after_load(keeper)
    assert focused["tag"] != "BODY", focused

    # A page without errors leaves the focus where the browser puts it.
    handler.goto(report.get_absolute_url())
    assert focus_after_load(handler)["tag"] == "BODY"
