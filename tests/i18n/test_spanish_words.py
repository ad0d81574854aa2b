"""Spanish that reads as Spanish, in "tú": Django's own sign-up hints and form errors, chart month
labels, and the acknowledge channel in words on the investigation record."""

from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Department, Role
from incidents.categories import Category
from incidents.formatting import day_month
from incidents.reporting.stats import week_start
from incidents.services.handling import report_acknowledge
from tests.factories import ProductionFactory, file_report, member

pytestmark = pytest.mark.django_db

USTED = ("Su contraseña", "su otra", "introduzca", "Introduzca", "Escoja", "Asegúrese", "Por favor")


@pytest.fixture
def spanish(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


def test_django_s_own_sign_up_hints_and_errors_say_tu(spanish):
    page = spanish.get(reverse("signup")).content.decode()
    assert "Tu contraseña no puede parecerse demasiado a tus otros datos personales." in page
    assert "Escribe la misma contraseña otra vez, para comprobarla." in page
    assert not [word for word in USTED if word in page]
    answer = spanish.post(
        reverse("signup"),
        {"full_name": "Gabi", "email": "not-an-address", "language": "es", "password1": "12345", "password2": "54321"},
    ).content.decode()
    assert "Escribe una dirección de correo electrónico válida." in answer
    assert "Las dos contraseñas no coinciden." in answer
    assert not [word for word in USTED if word in answer]


def test_a_wrong_login_is_told_in_tu(spanish, db):
    page = spanish.post(reverse("login"), {"username": "nobody@example.com", "password": "wrong"}).content.decode()
    assert "Ten en cuenta que ambos campos distinguen mayúsculas y minúsculas." in page
    assert "introduzca" not in page


@pytest.mark.parametrize(
    ("day", "english", "spanish"),
    [
        (date(2026, 9, 21), "21 Sep", "21 sept"),
        (date(2027, 1, 4), "4 Jan", "4 ene"),
        (date(2026, 8, 3), "3 Aug", "3 ago"),
    ],
)
def test_chart_day_and_month_labels_read_in_the_pages_language(day, english, spanish):
    with translation.override("en"):
        assert day_month(day) == english
    with translation.override("es"):
        assert day_month(day) == spanish


def test_the_dashboard_chart_weeks_are_labelled_in_spanish(spanish):
    production = ProductionFactory(name="Polvo del Desierto")
    producer = member(production, Role.PRODUCER, Department.PRODUCTION)
    crew = member(production, Role.CREW, Department.GRIP)
    file_report(production, crew, Category.RIGGING)
    spanish.force_login(producer)
    page = spanish.get(reverse("dashboard")).content.decode()
    this_week = week_start(timezone.localtime(timezone.now(), production.tzinfo).date())
    with translation.override("es"):
        label = day_month(this_week)
    assert label in page


def test_the_record_says_how_it_was_acknowledged_in_words(spanish):
    production = ProductionFactory()
    producer = member(production, Role.PRODUCER, Department.PRODUCTION)
    report = file_report(production, member(production, Role.CREW, Department.GRIP), Category.RIGGING)
    report_acknowledge(report_id=report.pk, user=producer, via="page")
    spanish.force_login(producer)
    page = spanish.get(reverse("report_record", args=[report.pk])).content.decode()
    assert "en la página del reporte" in page
    assert ": page<" not in page and "Vía: page" not in page
    spanish.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "on the report page" in spanish.get(reverse("report_record", args=[report.pk])).content.decode()
