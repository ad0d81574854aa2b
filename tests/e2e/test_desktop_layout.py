"""On a desktop the navbar is one line: every word in it sits on the same baseline band, the
production's and the person's names included (they used to sit ~8 px above the links)."""

from collections.abc import Callable

from playwright.sync_api import Page

from tests.e2e.conftest import DESKTOP, Scene

# The vertical middle of the visible text of each navbar item (a range over its text, so padding and
# hidden words for screen readers do not count).
TEXT_MIDDLES = """() => [...document.querySelectorAll(
    'nav .nav-link, nav .navbar-text, nav .navbar-nav .btn'
)].filter((e) => e.offsetParent !== null && e.innerText.trim()).map((e) => {
    const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    let top = Infinity, bottom = -Infinity, text = '';
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent.trim() || node.parentElement.closest('.visually-hidden')) continue;
        text += node.textContent;
        const range = document.createRange();
        range.selectNodeContents(node);
        const box = range.getBoundingClientRect();
        top = Math.min(top, box.top);
        bottom = Math.max(bottom, box.bottom);
    }
    return {text: text.trim(), middle: (top + bottom) / 2};
})"""


def test_the_navbars_links_and_names_sit_on_one_line_on_a_desktop(
    scene: Callable[..., Scene], open_page: Callable[..., Page]
):
    world = scene()
    for who in ("crew", "producer"):
        page = open_page(user=world.people[who], viewport=DESKTOP)
        page.goto("/")
        middles = page.evaluate(TEXT_MIDDLES)
        names = {item["text"] for item in middles}
        assert world.production.name in names
        assert world.people[who].full_name in names
        spread = max(item["middle"] for item in middles) - min(item["middle"] for item in middles)
        assert spread <= 2, f"{who}: navbar words at different heights: {middles}"


def test_no_navbar_item_breaks_inside_with_a_long_name_an_inbox_count_and_spanish(
    scene: Callable[..., Scene], open_page: Callable[..., Page]
):
    world = scene()
    person = world.people["safety"]
    person.full_name, person.language = "Ada Firstassistantdirector Longname", "es"
    person.save(update_fields=["full_name", "language"])
    page = open_page(user=person, viewport=DESKTOP)
    page.goto("/")
    # Each item's visible words: on how many lines they sit (the tops of their boxes).
    lines = page.evaluate(
        """() => [...document.querySelectorAll('nav .nav-link, nav .navbar-text, nav .navbar-nav .btn')]
            .filter((e) => e.offsetParent !== null).map((e) => {
                const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
                const tops = new Set();
                let text = '';
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    if (!node.textContent.trim() || node.parentElement.closest('.visually-hidden')) continue;
                    text += node.textContent;
                    const range = document.createRange();
                    range.selectNodeContents(node);
                    for (const box of range.getClientRects()) tops.add(Math.round(box.top));
                }
                return {text: text.trim(), lines: tops.size};
            })"""
    )
    assert any(item["text"] == "Ada Firstassistantdirector Longname" for item in lines)
    broken = [item["text"] for item in lines if item["lines"] > 1]
    assert not broken, f"navbar items broken over two lines: {broken}"
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
