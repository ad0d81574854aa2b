"""Text made only of invisible characters (zero-width space, joiners, word joiner, byte order mark, direction
marks) is empty: a required box says so, as it does for spaces, instead of filing a report with a blank title.
Text with anything visible in it is kept as typed."""

import pytest
from django.urls import reverse

from incidents.categories import Category
from incidents.forms.fields import strip_invisible
from incidents.models import Report
from tests.incidents.test_report_form import form_data, new_url

pytestmark = pytest.mark.django_db

INVISIBLE = ["\u200b", "\u200b\u200c\u200d", "\u2060\ufeff", " \u200e\u200f ", "\u00ad", "\u200b \u200b\n\t"]


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
