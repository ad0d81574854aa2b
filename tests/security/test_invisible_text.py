"""Text made only of invisible characters (zero-width space, joiners, word joiner, byte order mark, direction
marks) is empty: a required box says so, as it does for spaces, instead of filing a report with a blank title.
Text with anything visible in it is kept as typed."""

import pytest
from django.urls import reverse

from accounts.models import User
from incidents.categories import Category
from incidents.models import Report
from safetrack.text import strip_invisible
from tests.admin.helpers import form_data as form_data_of
from tests.incidents.test_report_form import form_data, new_url

pytestmark = pytest.mark.django_db

INVISIBLE = [
    "\u3164",
    "\u2800\u2800",
    "\u200b",
    "\u200b\u200c\u200d",
    "\u2060\ufeff",
    " \u200e\u200f ",
    "\u00ad",
    "\u200b \u200b\n\t",
]


@pytest.mark.parametrize("nothing", INVISIBLE)
def test_a_report_whose_title_and_text_are_invisible_is_refused_and_says_what_is_missing(
    client, production, crew, nothing
):
    client.force_login(crew)
    data = form_data(production, Category.OTHER, title=nothing, description=nothing, location="Stage 2")

    response = client.post(new_url(production), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Give the report a short title." in page
    assert "Say what happened." in page
    assert 'value="Stage 2"' in page  # nothing else typed is lost
    assert not Report.objects.exists()


def test_a_stop_work_call_whose_reason_is_invisible_is_refused(client, production, crew):
    client.force_login(crew)

    response = client.post(
        reverse("stop_work_new"),
        {"production": production.pk, "title": "\u200b\u2060", "identity": "named", "confirm": "on"},
    )

    assert response.status_code == 200
    assert "Say in a few words why work must stop." in response.content.decode()
    assert not Report.objects.exists()


def test_text_with_something_visible_is_kept_as_typed_invisible_characters_and_an_emojis_joiners_included(
    client, production, crew
):
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji: three people joined by zero-width joiners
    title = f"\u200b Cart {family} left open\ufeff"
    client.force_login(crew)

    client.post(new_url(production), form_data(production, title=title, description="\u202egnp.exe"))

    report = Report.objects.get()
    assert (report.title, report.description) == (title, "\u202egnp.exe")  # the trail keeps what was typed
    assert strip_invisible("\u200bsoft\u00adhyphen\u200b") == "soft\u00adhyphen"


SIGNUP = {
    "email": "new@example.com",
    "language": "en",
    "password1": "a long passphrase",
    "password2": "a long passphrase",
}


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("\u200b\u200b\u200b", "Enter a name people can read: this one has no visible letters."),
        ("\u2060\ufeff\u200d", "Enter a name people can read: this one has no visible letters."),
        ("\u3164\u3164", "Enter a name people can read: this one has no visible letters."),
        ("\u2800 \u2800", "Enter a name people can read: this one has no visible letters."),
        ("\u115f\u1160", "Enter a name people can read: this one has no visible letters."),
        ("\u202eRecudorP aiP", "Names cannot contain characters that reverse the direction of the text."),
        ("Pia \u2067Producer\u2069", "Names cannot contain characters that reverse the direction of the text."),
    ],
)
def test_a_sign_up_name_that_is_invisible_or_reverses_the_text_is_refused_and_the_rest_is_kept(client, name, said):
    response = client.post(reverse("signup"), {**SIGNUP, "full_name": name})

    page = response.content.decode()
    assert response.status_code == 200
    assert said in page
    assert 'value="new@example.com"' in page
    assert not User.objects.filter(email="new@example.com").exists()


def test_a_name_in_another_script_or_with_an_emoji_joiner_is_kept_as_typed(client):
    for number, name in enumerate(["נועה כהן", "Ana 👩\u200d🔧 Ruiz", "Zoë O\u2019Neill"]):
        response = client.post(reverse("signup"), {**SIGNUP, "email": f"n{number}@example.com", "full_name": name})
        assert response.status_code == 302, response.content.decode()[:2000]
        assert User.objects.get(email=f"n{number}@example.com").full_name == name
        client.logout()


def test_the_admin_refuses_a_production_named_with_invisible_characters(client, superuser, production):
    client.force_login(superuser)
    url = reverse("admin:accounts_production_change", args=[production.pk])
    data = form_data_of(client.get(url))
    data["name"] = "\u200b\u200b\u200b"

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Enter a name people can read: this one has no visible letters." in response.content.decode()
    production.refresh_from_db()
    assert production.name.strip()
