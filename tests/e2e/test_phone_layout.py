"""Phones first: every key page at 360 px wide without sideways scrolling, report forms that are easy to
tap, and a stop-work button that is impossible to miss and hard to press by accident."""

from collections.abc import Callable

from playwright.sync_api import Page, expect

from incidents.categories import Category
from incidents.models import Report
from tests.e2e.conftest import PHONE, Browsing, Scene, key_pages, scroll_overflow
from tests.e2e.test_spanish import switch_language
from tests.factories import check_out, file_report, firearms_day, weapon

# What a person pastes into a report on set: a link, a prop number with no spaces.
LONG_WORD = "https://example.com/callsheets/" + "PropRevolverSerial" * 9


def overflow_problem(page: Page, name: str) -> str | None:
    measured = scroll_overflow(page)
    if measured["scrollWidth"] <= PHONE["width"] and not measured["overflowing"]:
        return None
    return f"{name} ({page.url}): scrollWidth {measured['scrollWidth']}, sticking out: {measured['overflowing']}"


def test_every_key_page_fits_a_phone_without_horizontal_scrolling(
    scene: Callable[..., Scene], open_page: Callable[..., Page], browsing: Browsing
):
    # Work is stopped (the red banner is on every member's page) and one report is full of long words.
    world = scene(stopped=True)
    long_report = file_report(
        world.production, world.crew, Category.OTHER, title=LONG_WORD, location=LONG_WORD, description=LONG_WORD
    )
    problems = []
    for who, pages in key_pages(world, long_report).items():
        page = open_page(user=world.people[who])
        for name, path in pages:
            page.goto(path)
            problems.append(overflow_problem(page, name))
            browsing.screenshot(page, name)
        if who == "anonymous":
            # The receipt follow-up page, reached the only way there is: posting the code.
            page.goto("/receipt/")
            page.get_by_label("Receipt code").fill(world.receipt_code)
            page.get_by_role("button", name="Show my report").click()
            expect(page.get_by_role("heading", name="Reply to the handlers")).to_be_visible()
            problems.append(overflow_problem(page, "receipt-status"))
            browsing.screenshot(page, "receipt-status")
        if who == "crew":
            page.goto("/")
            page.get_by_role("button", name="Menu").click()
            expect(page.get_by_role("button", name="Log out")).to_be_visible()
            problems.append(overflow_problem(page, "menu-open"))
            browsing.screenshot(page, "menu-open", full_page=False)
    problems = [p for p in problems if p]
    assert not problems, "pages wider than a 360 px phone:\n" + "\n".join(problems)


# The tap target of a control: the box itself, or for a radio or checkbox its label, or the whole option
# card when the label is stretched over it.
TAP_TARGETS = """(form) => {
  const out = [];
  for (const el of form.querySelectorAll('input, select, textarea, button')) {
    const rect = el.getBoundingClientRect();
    if (el.type === 'hidden' || rect.width === 0 || el.closest('.hp-field, .visually-hidden, [hidden]')) continue;
    let height = rect.height;
    if (el.type === 'radio' || el.type === 'checkbox') {
      const label = form.querySelector(`label[for="${el.id}"]`);
      const row = el.closest('.form-check');
      const stretched = label && getComputedStyle(label, '::after').position === 'absolute';
      height = stretched && row ? row.getBoundingClientRect().height
             : Math.max(height, label ? label.getBoundingClientRect().height : 0);
    }
    out.push({name: el.name + (el.type === 'radio' ? '=' + el.value : ''), height: Math.round(height)});
  }
  return out;
}"""


def test_report_forms_have_controls_large_enough_to_tap_on_a_phone(
    scene: Callable[..., Scene], open_page: Callable[..., Page]
):
    world = scene()
    for user, path in [(world.crew, "/reports/new/"), (None, f"/anonymous/{world.production.join_code}/")]:
        page = open_page(user=user)
        page.goto(path)
        # Show every optional part: firearm details, the injury text, the confidential options.
        page.get_by_label("Misfire / discharge").check()
        page.get_by_text("Add details").click()
        page.get_by_label("Someone was hurt").check()
        if user is not None:
            page.get_by_label("Confidential").check()
        targets = page.locator("#report-form").evaluate(TAP_TARGETS)
        names = {t["name"] for t in targets}
        assert {"category=misfire", "title", "description", "weapon", "ammunition=unknown", "attachments"} <= names
        small = [t for t in targets if t["height"] < 44]
        assert not small, f"{path}: controls under 44 px tall: {small}"


def test_stop_work_button_is_prominent_and_asks_for_confirmation(
    scene: Callable[..., Scene], open_page: Callable[..., Page], browsing: Browsing
):
    world = scene()
    page = open_page(user=world.crew)
    page.goto("/")
    button = page.get_by_role("link", name="Call STOP WORK")
    box = button.bounding_box()
    assert box is not None
    # Above the fold on a phone, the full width of the content, big, and red.
    assert box["y"] + box["height"] <= PHONE["height"]
    assert box["width"] >= PHONE["width"] - 40
    assert box["height"] >= 48
    assert button.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(220, 53, 69)"

    button.click()
    page.get_by_label("Why must work stop?").fill("Smoke in the rigging above stage 2")
    browsing.screenshot(page, "stop-work-form")
    call = page.get_by_role("button", name="Call STOP WORK")
    # Without ticking the confirmation, nothing is called: the browser refuses, and so would the server.
    call.click()
    assert page.url.endswith("/stop-work/")
    assert not Report.objects.filter(category=Category.STOP_WORK).exists()
    page.locator("main form").evaluate("form => { form.noValidate = true; }")
    call.click()
    expect(page.get_by_text("Tick this box to confirm you are calling stop-work now.").first).to_be_visible()
    assert not Report.objects.filter(category=Category.STOP_WORK).exists()
    expect(page.get_by_label("Why must work stop?")).to_have_value("Smoke in the rigging above stage 2")

    page.get_by_label("I am calling STOP WORK now").check()
    page.get_by_role("button", name="Call STOP WORK").click()
    expect(page.get_by_role("heading", name="Work is stopped")).to_be_visible()
    assert Report.objects.filter(category=Category.STOP_WORK, production=world.production).count() == 1


# Where the "What happened?" box ends, measured from the top of the form, at 360 x 740.
FORM_DEPTH = """() => {
  const form = document.getElementById('report-form').getBoundingClientRect();
  const box = document.getElementById('id_description').getBoundingClientRect();
  return {top: Math.round(box.top - form.top), bottom: Math.round(box.bottom - form.top)};
}"""
WITHIN_TWO_SCREENS = 2 * PHONE["height"]  # 1,480 px


def test_what_happened_is_within_two_phone_screens_of_the_form_with_a_firearm_category_chosen(
    scene: Callable[..., Scene], open_page: Callable[..., Page], browsing: Browsing
):
    world = scene()
    depths = {}
    page = open_page(user=world.crew)
    for language in ("en", "es"):
        page.goto("/reports/new/")
        if language == "es":
            switch_language(page, "español")
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.locator("input[name=category][value=misfire]").check()
        expect(page.locator("[data-firearm-fields]")).to_be_visible()
        # Only the chosen category's help is shown, and the firearm questions sit right under the choices.
        expect(page.locator("#div_id_category .choice-help:visible")).to_have_count(1)
        depths[language] = page.evaluate(FORM_DEPTH)
        browsing.screenshot(page, f"report-form-misfire-{language}")
    print(f"'What happened?' box, px from the top of the form at 360x740: {depths}")
    deep = {lang: d for lang, d in depths.items() if d["bottom"] > WITHIN_TWO_SCREENS}
    assert not deep, f"'What happened?' ends lower than {WITHIN_TWO_SCREENS} px into the form: {depths}"


# The words of the option cards' labels that a line break cuts in two ("Environmen" / "t"): each word of a
# label is measured with a Range, and a word on more than one line box is cut.
WORDS_CUT = """() => {
  const cut = [];
  for (const label of document.querySelectorAll('.choice .form-check-label')) {
    const text = label.firstChild;
    if (!text || text.nodeType !== Node.TEXT_NODE || !label.offsetParent) continue;
    for (const match of text.data.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(text, match.index);
      range.setEnd(text, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (lines.size > 1) cut.push(match[0]);
    }
  }
  return cut;
}"""


def test_no_word_of_the_report_forms_choices_is_cut_in_two_on_a_phone(
    scene: Callable[..., Scene], open_page: Callable[..., Page]
):
    world = scene()
    page = open_page(user=world.crew)
    cut = {}
    for language in ("en", "es"):
        page.goto("/reports/new/")
        if language == "es":
            switch_language(page, "español")
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.locator("input[name=category][value=misfire]").check()  # the ammunition choices show too
        cut[language] = page.evaluate(WORDS_CUT)
    assert cut == {"en": [], "es": []}, f"words cut across two lines at 360 px: {cut}"


def test_stop_work_is_one_tap_from_every_members_page(scene: Callable[..., Scene], open_page: Callable[..., Page]):
    world = scene(stopped=True)
    missing = []
    for who in ("crew", "producer"):
        page = open_page(user=world.people[who])
        for name, path in key_pages(world)[who]:
            page.goto(path)
            button = page.locator("a.navbar-stop-work")
            box = button.bounding_box() if button.count() == 1 else None
            if box is None or box["y"] + box["height"] > PHONE["height"] or box["height"] < 44:
                missing.append(f"{who} {name} ({path}): {box}")
    assert not missing, "pages without a visible stop-work button at the top:\n" + "\n".join(missing)
    page.locator("a.navbar-stop-work").click()
    expect(page.get_by_label("Why must work stop?")).to_be_visible()


# Links alone in their paragraph (not inside a sentence): their height on the page.
STANDALONE_LINKS = """() => [...document.querySelectorAll('main p > a')].filter(
    (a) => a.parentElement.textContent.trim().startsWith(a.textContent.trim()) && a.offsetParent !== null
).map((a) => ({text: a.textContent.trim(), height: a.getBoundingClientRect().height}))"""


def test_links_alone_on_their_line_are_tall_enough_to_tap_on_a_phone(
    scene: Callable[..., Scene], open_page: Callable[..., Page]
):
    world = scene()
    keeper, first_ad = world.people["armorer"], world.people["safety"]
    gun = weapon(world.production, keeper)
    firearms_day(world.production, first_ad)
    record = check_out(gun, keeper, world.crew, first_ad)
    production = world.production.pk
    pages = {
        None: ["/accounts/login/"],
        "crew": [f"/reports/{world.report.pk}/"],
        "armorer": [
            f"/productions/{production}/armory/weapons/{gun.pk}/",
            record.get_absolute_url(),
            f"/productions/{production}/days/",
        ],
    }
    measured, small = [], []
    for who, paths in pages.items():
        page = open_page(user=world.people[who] if who else None)
        for path in paths:
            page.goto(path)
            links = page.evaluate(STANDALONE_LINKS)
            measured.extend(links)
            small.extend(f"{path}: {link['text']!r} {link['height']:.0f} px" for link in links if link["height"] < 40)
    assert len(measured) >= 5, measured
    assert not small, "links alone on their line shorter than 40 px:\n" + "\n".join(small)
