"""The admin at 1280 px: the production, policy and report pages do not scroll sideways, the email
inputs show whole addresses, and a report's trail reads as one sentence per event with a short hash
(the full one on hover and in a copy), its dates on one line."""

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from incidents.ladder import ladder_for
from incidents.models import EscalationPolicy, Event
from incidents.services.escalation import report_escalate
from tests.e2e.conftest import DESKTOP, Browsing, Scene, scroll_overflow

LONG_EMAIL = "first.assistant.director@dustdevil-movie.com"


# How many lines of text an element shows.
LINES = """el => {
  const tops = new Set();
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.top));
  }
  return tops.size;
}"""


def admin_pages(world: Scene) -> list[tuple[str, str]]:
    policy = EscalationPolicy.objects.get(production=world.production)
    return [
        ("production", f"/admin/accounts/production/{world.production.pk}/change/"),
        ("policy", f"/admin/incidents/escalationpolicy/{policy.pk}/change/"),
        ("report", f"/admin/incidents/report/{world.report.pk}/change/"),
    ]


def test_the_admins_production_policy_and_report_pages_fit_1280_px(
    scene: Callable[..., Scene], superuser, open_page: Callable[..., Page], browsing: Browsing
):
    world = scene(stopped=True)
    world.handlers["safety"].email = LONG_EMAIL
    world.handlers["safety"].save(update_fields=["email"])
    report = world.report
    for _ in range(ladder_for(report.production_id).top - 1):  # a long trail: every level, every delivery
        report_escalate(report_id=report.pk, expected_level=report.escalation_level, now=report.next_escalation_at)
        report.refresh_from_db()
    problems = []
    for language in ("en", "es"):
        page = open_page(user=superuser, viewport=DESKTOP)
        page.context.add_cookies([{"name": "django_language", "value": language, "url": browsing.base_url}])
        for name, path in admin_pages(world):
            page.goto(path)
            measured = scroll_overflow(page)
            if measured["scrollWidth"] > DESKTOP["width"]:
                problems.append(f"{name} ({language}): {measured}")
            # Nor a table scrolling sideways inside its own box.
            boxed = page.evaluate(
                "() => [...document.querySelectorAll('.inline-group .tabular, .inline-group table')]"
                ".filter(el => el.scrollWidth > el.clientWidth + 1)"
                ".map(el => [el.id || el.className, el.scrollWidth, el.clientWidth])"
            )
            if boxed:
                problems.append(f"{name} ({language}): tables wider than their box: {boxed}")
            browsing.screenshot(page, f"admin-{name}-{language}", full_page=True)
    assert not problems, "admin pages wider than 1280 px:\n" + "\n".join(problems)


def test_member_email_inputs_show_the_whole_address(
    scene: Callable[..., Scene], superuser, open_page: Callable[..., Page]
):
    world = scene()
    world.handlers["safety"].email = LONG_EMAIL
    world.handlers["safety"].save(update_fields=["email"])
    page = open_page(user=superuser, viewport=DESKTOP)
    page.goto(admin_pages(world)[0][1])
    field = page.locator(f'input[value="{LONG_EMAIL}"]')
    expect(field).to_be_visible()
    assert field.evaluate("el => el.scrollWidth <= el.clientWidth"), "the address is cut"


def test_the_admin_trail_reads_as_sentences_with_short_hashes(
    scene: Callable[..., Scene], superuser, open_page: Callable[..., Page], browsing: Browsing
):
    world = scene()
    page = open_page(user=superuser, viewport=DESKTOP)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(admin_pages(world)[2][1])
    first = Event.objects.filter(report=world.report).order_by("seq").first()
    assert first is not None
    trail = page.locator("#events-group")
    expect(trail).to_contain_text("Severity: High")
    assert "{" not in trail.inner_text() and '"because_of"' not in trail.inner_text()
    short = trail.locator(f'[title="{first.hash}"]')
    expect(short).to_have_text(first.hash[:12])
    dates = trail.locator("td.field-when")
    assert dates.count() >= 2
    for index in range(dates.count()):
        assert dates.nth(index).evaluate(LINES) == 1, f"a date wraps: {dates.nth(index).inner_text()!r}"
    browsing.screenshot(page, "admin-trail")
    assert re.fullmatch(r"[0-9a-f]{12}", short.inner_text())
