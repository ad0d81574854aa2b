"""Issue 21 in the browser (1): the receipt code's copy and print, the bilingual poster on one sheet,
a handler's home listing what waits, and the error pages in the site's layout, in English and Spanish,
at 360 px, with nothing for axe to find."""

import re
from collections.abc import Callable

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from accounts.models import Production, User
from incidents.categories import Category
from incidents.forms.anonymous import MIN_FILL_SECONDS
from incidents.views import anonymous
from tests.e2e.conftest import PHONE, Browsing, Scene, axe_violations, describe_violations, scroll_overflow
from tests.factories import file_report, member


def fits_and_passes_axe(page: Page, name: str) -> list[str]:
    problems = []
    measured = scroll_overflow(page)
    if measured["scrollWidth"] > PHONE["width"] or measured["overflowing"]:
        problems.append(f"{name}: wider than the phone: {measured}")
    violations = axe_violations(page)
    if violations:
        problems.append(f"{name}: axe:\n{describe_violations(violations)}")
    return problems


def in_spanish(page: Page) -> None:
    """The language switcher's cookie, for the whole site (as the switcher sets it)."""
    origin = re.match(r"https?://[^/]+", page.url)
    assert origin is not None, page.url
    page.context.add_cookies([{"name": "django_language", "value": "es", "url": origin.group(0) + "/"}])


def test_the_receipt_code_copies_and_prints_alone(
    production: Production, ladder_cast: dict[str, User], open_page: Callable[..., Page], browsing: Browsing
):
    page = open_page(bypass_csp=True)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/anonymous/{production.join_code}/")
    page.get_by_label("Fatigue / hours").check()
    page.get_by_label("In a few words").fill("Drivers on their third sixteen-hour day")
    page.get_by_label("What happened?").fill("No turnaround longer than eight hours all week.")
    page.wait_for_timeout(MIN_FILL_SECONDS * 1000 + 500)
    page.get_by_role("button", name="Send anonymously").click()
    code = page.locator("#receipt-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{5}(-[A-Z0-9]{5}){4}", code)

    page.get_by_role("button", name="Copy the code").click()
    expect(page.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == code
    problems = fits_and_passes_axe(page, "receipt shown once")

    # Printed (or saved as PDF): only the card, with the production, the date and the follow-up address.
    page.emulate_media(media="print")
    expect(page.locator("#receipt-code")).to_be_visible()
    expect(page.get_by_text("Your report was sent")).to_be_hidden()
    expect(page.get_by_role("button", name="Copy the code")).to_be_hidden()
    card = page.locator(".receipt-card").inner_text()
    assert production.name in card and "/receipt/" in card
    browsing.screenshot(page, "receipt-printed")
    assert _pdf_pages(page.pdf(format="A4")) == 1
    assert not problems, "\n".join(problems)


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_poster_prints_english_and_spanish_on_one_sheet(
    production: Production, ladder_cast: dict[str, User], open_page: Callable[..., Page], browsing: Browsing, paper
):
    page = open_page(user=ladder_cast["producer"])
    page.goto(f"/productions/{production.pk}/poster/")
    expect(page.get_by_role("heading", name="See something unsafe?")).to_be_visible()
    expect(page.get_by_text("¿Ves algo peligroso?")).to_be_visible()
    expect(page.get_by_text("No account and no name needed.")).to_be_visible()
    expect(page.get_by_text("No hace falta cuenta ni nombre.")).to_be_visible()
    page.emulate_media(media="print")
    browsing.screenshot(page, f"poster-printed-{paper}")
    assert _pdf_pages(page.pdf(format=paper)) == 1


def test_a_handlers_home_lists_a_waiting_report_and_opens_it_in_one_tap(
    scene: Callable[..., Scene], open_page: Callable[..., Page], browsing: Browsing
):
    world = scene()
    waiting = file_report(world.production, world.crew, Category.RIGGING, title="Sandbag missing on stand 3")
    problems = []
    for language in ("en", "es"):
        page = open_page(user=world.handlers["department_head"], bypass_csp=True)
        if language == "es":
            page.goto("/")
            in_spanish(page)
        page.goto("/")
        section = page.locator("#waiting")
        expect(section.get_by_role("link", name=re.compile("Sandbag missing on stand 3"))).to_be_visible()
        expect(
            section.get_by_role("link", name=("Open the dashboard" if language == "en" else "Abrir el panel"))
        ).to_be_visible()
        problems += fits_and_passes_axe(page, f"handler home ({language})")
        browsing.screenshot(page, f"handler-home-{language}")
    section.get_by_role("link", name=re.compile("Sandbag missing on stand 3")).click()
    expect(page).to_have_url(re.compile(rf"/reports/{waiting.pk}/$"))
    assert not problems, "\n".join(problems)


def test_403_404_and_429_pages_use_the_site_layout_in_english_and_spanish(
    scene: Callable[..., Scene], open_page: Callable[..., Page], browsing: Browsing, monkeypatch
):
    world = scene(stopped=True)
    assert world.stop_work is not None
    monkeypatch.setattr(anonymous, "RECEIPT_RATE", "2/h")
    problems = []
    for language in ("en", "es"):
        upm = open_page(user=world.handlers["upm"], bypass_csp=True)
        upm.goto(f"/reports/{world.stop_work.pk}/")
        if language == "es":
            in_spanish(upm)
            upm.reload()
        expect(upm.locator("html")).to_have_attribute("lang", language)
        # A UPM follows a link to the lift page: 403, with the reason and the way back to the report.
        response = upm.goto(f"/reports/{world.stop_work.pk}/lift/", referer=upm.url)
        assert response is not None and response.status == 403
        expect(upm.locator("nav.navbar")).to_be_visible()
        expect(upm.locator("footer")).to_be_visible()
        expect(upm.locator("main h1")).to_have_text(
            "You cannot do this here" if language == "en" else "No puedes hacer esto aquí"
        )
        expect(upm.locator(f'main a[href$="/reports/{world.stop_work.pk}/"]')).to_be_visible()
        problems += fits_and_passes_axe(upm, f"403 ({language})")
        browsing.screenshot(upm, f"403-{language}")

        response = upm.goto("/reports/999999/")
        assert response is not None and response.status == 404
        expect(upm.locator("main h1")).to_have_text("Page not found" if language == "en" else "Página no encontrada")
        expect(upm.locator("footer")).to_be_visible()
        problems += fits_and_passes_axe(upm, f"404 ({language})")

        cache.clear()  # the rate limit's count of the English round
        visitor = open_page(bypass_csp=True)
        visitor.goto("/receipt/")
        if language == "es":
            in_spanish(visitor)
            visitor.reload()
        statuses = []
        for _ in range(3):
            visitor.locator("#id_receipt").fill("AAAAA-BBBBB")
            with visitor.expect_response(lambda r: r.request.method == "POST") as answer:
                visitor.locator("main form button[type=submit]").click()
            statuses.append(answer.value.status)
        assert statuses == [200, 200, 429]
        expect(visitor.locator("main .alert-danger")).to_be_visible()
        expect(visitor.locator("nav.navbar")).to_be_visible()
        expect(visitor.locator("footer")).to_be_visible()
        problems += fits_and_passes_axe(visitor, f"429 ({language})")
        browsing.screenshot(visitor, f"429-{language}")
    assert not problems, "\n".join(problems)


def test_the_new_states_fit_a_phone_and_pass_axe_in_english_and_spanish(
    scene: Callable[..., Scene], open_page: Callable[..., Page], browsing: Browsing, django_user_model
):
    """Joining without a default department, the stop-work call's details for crew who cannot open it,
    and the receipt follow-up right after a reply."""
    world = scene(stopped=True)
    assert world.stop_work is not None
    newcomer = django_user_model.objects.create_user("new.camera@example.com", "pw-12345678", full_name="Noa New")
    bystander = member(world.production, full_name="Cam Other")  # crew who did not call the stop-work
    problems = []
    for language in ("en", "es"):
        joining = open_page(user=newcomer, bypass_csp=True)
        joining.goto("/")
        if language == "es":
            in_spanish(joining)
        joining.goto(f"/join/{world.production.join_code}/")
        expect(joining.locator("#id_department")).to_have_value("")
        # The browser refuses it first (required); the server refuses it too, with a message.
        joining.locator("main form").evaluate("form => { form.noValidate = true; }")
        joining.locator("main form [type=submit]").click()
        expect(joining.locator(".invalid-feedback, .is-invalid + .invalid-feedback").first).to_be_visible()
        problems += fits_and_passes_axe(joining, f"join refused without a department ({language})")

        crew = open_page(user=bystander, bypass_csp=True)
        crew.goto("/")
        if language == "es":
            in_spanish(crew)
            crew.reload()
        crew.locator(".stop-work-banner a").first.click()
        expect(crew).to_have_url(re.compile(rf"#stop-work-{world.stop_work.pk}$"))
        expect(crew.locator(f"#stop-work-{world.stop_work.pk}")).to_be_visible()
        problems += fits_and_passes_axe(crew, f"stop-work details for crew ({language})")
        browsing.screenshot(crew, f"stop-work-details-{language}")

        visitor = open_page(bypass_csp=True)
        visitor.goto("/receipt/")
        if language == "es":
            in_spanish(visitor)
            visitor.reload()
        visitor.locator("#id_receipt").fill(world.receipt_code)
        visitor.locator("main form button[type=submit]").click()
        visitor.locator("#id_body").fill("It was the night unit, base camp B.")
        visitor.locator("main form:has(#id_body) button[type=submit]").click()
        expect(visitor.locator("main .alert-success")).to_be_visible()
        problems += fits_and_passes_axe(visitor, f"receipt after a reply ({language})")
        cache.clear()  # the receipt rate limit counts both rounds
    assert not problems, "\n".join(problems)
