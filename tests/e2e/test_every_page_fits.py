"""Every page of the app (each GET of the authorisation matrix that answers 200, as a person who may see
it) fits a 360 px phone in English and in Spanish, with a report at the top of the ladder so the longest
level label ("Nivel 5: Ejecutivo / seguridad del estudio") is on the pages that show levels."""

from collections.abc import Callable

from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from incidents.ladder import ladder_for
from incidents.models import Report, ReportStatus
from incidents.services.escalation import report_escalate
from tests.e2e.conftest import PHONE, Browsing, scroll_overflow
from tests.security.matrix import Case
from tests.security.matrix_app import app_cases
from tests.security.world import PRODUCTION_ADMINS, build_world

# Not pages: files, JSON and the dashboard's polled fragment.
NOT_PAGES = {
    "healthz",
    "dashboard_export_csv",
    "report_record_pdf",
    "attachment_download",
    "dashboard_queue",
    "report_live",
    "investigation_statement",
    "day_evidence",
    "armory_weapon_evidence",
    "action_evidence",
}
# Who looks, in this order: crew first (the phone users), then each rank of handler, then admins.
VIEWERS = ["anonymous", "reporter", "crew", "department_head", "armorer", "safety", "upm", "producer", "superuser"]


def _climb_to_the_top(report: Report) -> Report:
    top = ladder_for(report.production_id).top
    while report.status == ReportStatus.OPEN and report.escalation_level < top:
        report_escalate(report_id=report.pk, expected_level=report.escalation_level, now=report.next_escalation_at)
        report.refresh_from_db()
    assert report.escalation_level == top
    return report


def _pages(world) -> dict[str, list[tuple[str, str]]]:
    """(label, url) per viewer: each page once for a crew-side viewer and once for a handler if both
    may open it (they see different things)."""
    pages: dict[str, list[tuple[str, str]]] = {viewer: [] for viewer in VIEWERS}
    for case in app_cases():
        if case.method != "GET" or case.key in NOT_PAGES or "another production" in case.label:
            continue
        allowed = [viewer for viewer in VIEWERS if case.expect.get(viewer) == 200]
        crew_side = [v for v in allowed if v in ("anonymous", "reporter", "crew")]
        handlers = [v for v in allowed if v not in ("anonymous", "reporter", "crew")]
        for viewer in crew_side[:1] + handlers[:1]:
            pages[viewer].append((case.label, _url(case, world)))
    return pages


def _url(case: Case, world) -> str:
    return case.url(world)


def test_every_page_fits_a_phone_in_english_and_in_spanish(open_page: Callable[..., Page], browsing: Browsing):
    # The world's staff user joins the group a migration creates; a transactional test run before this
    # one may have flushed it (no staff page is looked at here, so its permissions do not matter).
    Group.objects.get_or_create(name=PRODUCTION_ADMINS)
    world = build_world()
    _climb_to_the_top(world.here.report)
    too_wide = []
    seen = 0
    for viewer, pages in _pages(world).items():
        if not pages:
            continue
        page = open_page(user=world.users[viewer])
        for language in ("en", "es"):
            page.context.add_cookies([{"name": "django_language", "value": language, "url": browsing.base_url}])
            for label, url in pages:
                response = page.goto(url)
                assert response is not None, url
                if not response.headers.get("content-type", "").startswith("text/html"):
                    continue  # a manifest, a script, a file: not a page
                expect(page.locator("html")).to_have_attribute("lang", language)
                measured = scroll_overflow(page)
                seen += 1
                if measured["scrollWidth"] > PHONE["width"] or measured["overflowing"]:
                    too_wide.append(f"{label} as {viewer}, {language} ({url}): {measured}")
                    browsing.screenshot(page, f"too-wide-{viewer}-{language}-{label}")
    assert seen > 60, f"only {seen} pages looked at"  # of ~80 page views
    assert not too_wide, "pages wider than a 360 px phone:\n" + "\n".join(too_wide)
