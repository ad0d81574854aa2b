"""Spanish: the language switcher turns every key page Spanish (<html lang="es">), and once the Spanish
catalogue (locale/es) is in, every page's words change too."""

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, ROOT, Browsing, Scene, key_pages, scroll_overflow

CATALOGUE = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.mo"
SCREENSHOTS = {"home", "report-form", "report-handler", "dashboard", "receipt"}


def switch_language(page: Page, language: str) -> None:
    """With the language form in the navbar, behind the menu button on a phone, as a person does it
    (found by position, not by name: the names are in the language being left)."""
    page.locator("button.navbar-toggler").click()
    page.locator("#language-select").select_option(label=language)
    page.locator("#language-select ~ button[type=submit]").click()


def words(page: Page) -> tuple[str, str, str]:
    """What a person reads: the page's title, its content and the footer."""
    return page.title(), page.locator("main").inner_text(), page.locator("footer").inner_text()


def test_language_switcher_turns_every_key_page_spanish(
    scene: Callable[..., Scene], open_page: Callable[..., Page], browsing: Browsing
):
    world = scene(stopped=True)
    translated = CATALOGUE.exists()
    untranslated, too_wide = [], []
    for who, pages in key_pages(world).items():
        page = open_page(user=world.people[who])
        english = {}
        for name, path in pages:
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", "en")
            english[name] = words(page)
        switch_language(page, "español")
        for name, path in pages:
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", "es")
            # Spanish runs longer than English: it must still fit the phone.
            measured = scroll_overflow(page)
            if measured["scrollWidth"] > PHONE["width"] or measured["overflowing"]:
                too_wide.append(f"{name} ({path}): {measured}")
            if translated:
                title, main, footer = words(page)
                _, english_main, english_footer = english[name]
                if main == english_main or footer == english_footer:
                    untranslated.append(f"{name} ({path}): {title!r} reads as in English")
            if name in SCREENSHOTS:
                browsing.screenshot(page, f"{name}-es")
        switch_language(page, "English")
        expect(page.locator("html")).to_have_attribute("lang", "en")
    assert not too_wide, "pages wider than a 360 px phone in Spanish:\n" + "\n".join(too_wide)
    # Until locale/es exists (a teammate adds it once every string is final) only the switch is checked.
    assert not untranslated, "pages still in English after switching to Spanish:\n" + "\n".join(untranslated)
