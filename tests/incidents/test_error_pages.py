"""Error pages: the site's layout, plain words and a way back; 400 and 500 need no database."""

import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults
from django_ratelimit.exceptions import Ratelimited

from incidents.services.stop_work import stop_work_call
from incidents.views import errors

pytestmark = pytest.mark.django_db

LAYOUT = ('class="navbar', "<footer", 'id="main"', 'name="viewport"')


def _in_layout(html: str) -> None:
    for part in LAYOUT:
        assert part in html, f"{part} missing: not in the site's layout"


def test_a_upm_opening_lift_gets_a_403_in_the_layout_that_says_who_can_and_goes_back(client, production, crew, upm):
    stop = stop_work_call(production=production, caller=crew, reason="Live round in the prop cart")
    client.force_login(upm)
    report_page = f"http://testserver{stop.get_absolute_url()}"
    response = client.get(reverse("stop_work_lift", args=[stop.pk]), HTTP_REFERER=report_page)
    html = response.content.decode()
    assert response.status_code == 403
    _in_layout(html)
    assert "Only a producer or someone above can lift a stop-work call." in html
    assert f'href="{report_page}"' in html and "Back to the previous page" in html
    assert "Log out" in html  # the navbar knows who is logged in
    assert "no-store" in response["Cache-Control"]


def test_a_403_never_links_back_to_another_site(client, production, crew, upm):
    stop = stop_work_call(production=production, caller=crew, reason="Smoke")
    client.force_login(upm)
    response = client.get(reverse("stop_work_lift", args=[stop.pk]), HTTP_REFERER="https://evil.example/phish")
    html = response.content.decode()
    assert "evil.example" not in html and "Back to the previous page" not in html
    assert f'href="{reverse("home")}"' in html


@pytest.mark.parametrize("logged_in", [True, False])
def test_a_missing_page_is_a_404_in_the_layout_with_plain_words(client, crew, logged_in):
    if logged_in:
        client.force_login(crew)
    response = client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    _in_layout(html)
    assert "Page not found" in html and "belongs to a production you are not part of" in html
    assert f'href="{reverse("home")}"' in html
    assert (f'href="{reverse("report_list")}"' in html) is logged_in


def test_another_productions_report_is_the_same_404_page(client, production, crew, outsider):
    report = stop_work_call(production=production, caller=crew, reason="Smoke")
    client.force_login(outsider)
    response = client.get(report.get_absolute_url())
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_a_rate_limit_refusal_is_a_429_in_the_layout(crew):
    request = RequestFactory().get("/reports/")
    request.user = crew
    request.session = {}
    response = errors.permission_denied(request, Ratelimited())
    html = response.content.decode()
    assert response.status_code == 429
    _in_layout(html)
    assert "Too many attempts" in html and "Call a stop-work out loud" in html


def test_an_expired_form_is_a_403_in_the_layout_that_says_nothing_was_sent(production):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("receipt"), {"receipt": "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"})
    html = response.content.decode()
    assert response.status_code == 403
    _in_layout(html)
    assert "This form expired" in html and "Nothing was sent" in html


@pytest.mark.parametrize(
    ("view", "status", "words"),
    [
        (lambda request: defaults.server_error(request), 500, "Something went wrong on our side"),
        (lambda request: defaults.bad_request(request, SuspiciousOperation()), 400, "could not be read"),
    ],
    ids=["500", "400"],
)
def test_500_and_400_render_without_the_database_or_a_logged_in_user(view, status, words, django_db_blocker):
    request = RequestFactory().get("/reports/")
    with django_db_blocker.block():  # any query would raise
        response = view(request)
    html = response.content.decode()
    assert response.status_code == status
    _in_layout(html)
    assert words in html and "Call a stop-work out loud" in html
