"""Spanish: the catalog is complete, the key pages and the emails read in Spanish, and every time is shown
in the production's time zone whatever the viewer's own production is."""

import html
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, timedelta
from gettext import GNUTranslations
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.models import Department, Role
from incidents.categories import Category
from incidents.models import Channel, Identity, Notification
from incidents.services.delivery import notification_deliver
from incidents.services.filing import report_file
from incidents.services.handling import report_acknowledge
from incidents.services.receipt import receipt_new
from incidents.services.stop_work import stop_work_call
from tests.factories import ProductionFactory, draft, file_report, member
from tests.i18n import po

ROOT = Path(settings.BASE_DIR)
CATALOG = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOG.with_suffix(".mo")
SOURCES = ["accounts", "incidents", "safetrack", "templates", "static/js", "locale", "manage.py"]

# Words that only turn up in English sentences: found in a Spanish page, a string escaped translation.
ENGLISH_WORDS = re.compile(r"\b(the|your|you|and|with|this|what|who|when|nobody|report|reports|level)\b", re.I)

# Report data in Spanish, so any English left on a page comes from the app itself.
SPANISH_REPORT = {
    "title": "Bala real en el carro de utilería",
    "description": "Encontré una bala real entre las de fogueo del carro.",
    "location": "Plató 2",
    "witnesses": "",
}


def _catalog_entries(path: Path) -> list[po.Entry]:
    return [entry for entry in po.parse(path) if not entry.is_header]


# --- the catalog ---------------------------------------------------------------------------------------


def test_makemessages_leaves_no_untranslated_or_fuzzy_spanish_string(tmp_path):
    """Run on a copy of the sources, so the test never rewrites the working tree's catalog."""
    if not shutil.which("xgettext") or not shutil.which("msgmerge"):
        if os.environ.get("CI") == "true":
            pytest.fail("CI must check the Spanish catalog, but GNU gettext (xgettext, msgmerge) is not installed")
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed: apt-get install gettext")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tmp_path / name)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "safetrack.settings.test", "PYTHONPATH": str(tmp_path)}
    for domain in ("django", "djangojs"):
        result = subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-l", "es", "-d", domain, "--no-obsolete"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
    catalogs = sorted((tmp_path / "locale" / "es" / "LC_MESSAGES").glob("*.po"))
    assert tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po" in catalogs
    problems = []
    for catalog in catalogs:
        for entry in _catalog_entries(catalog):
            if entry.untranslated:
                problems.append(f"{catalog.name}: untranslated {entry.where()}")
            elif entry.fuzzy:
                problems.append(f"{catalog.name}: fuzzy (check and translate) {entry.where()}")
    assert not problems, "Run makemessages -l es, translate, compilemessages:\n" + "\n".join(problems)


def test_every_spanish_translation_keeps_the_placeholders_and_markup_of_its_english_text():
    problems = []
    for entry in _catalog_entries(CATALOG):
        for key, text in entry.msgstr.items():
            english = (
                entry.msgid if key in ("msgstr", "msgstr[0]") or entry.msgid_plural is None else entry.msgid_plural
            )
            if text and po.placeholders(text) != po.placeholders(english):
                problems.append(f"{entry.where()} {key}: {text!r}")
    assert not problems, "\n".join(problems)


def test_every_spanish_plural_has_a_form_for_each_of_the_catalogs_plural_cases():
    """Spanish has three plural cases here (one, many, a million's multiples): a missing form falls back to
    the English text on a Spanish page ("Asistencia confirmada: 0 people")."""
    header = next(entry for entry in po.parse(CATALOG) if entry.is_header)
    nplurals = int(re.search(r"nplurals=(\d+)", header.msgstr["msgstr"]).group(1))
    expected = {f"msgstr[{n}]" for n in range(nplurals)}
    missing = [
        entry.where()
        for entry in _catalog_entries(CATALOG)
        if entry.msgid_plural is not None and set(entry.msgstr) != expected
    ]
    assert not missing, f"plural entries without all {nplurals} forms:\n" + "\n".join(missing)


def test_the_committed_compiled_catalog_matches_the_spanish_text():
    """A fresh clone uses the committed .mo (no gettext tools needed), so it must be compiled from this .po."""
    with COMPILED.open("rb") as handle:
        compiled = GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    stale = []
    for entry in _catalog_entries(CATALOG):
        if entry.fuzzy or entry.untranslated:
            continue
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            if compiled.get(key) != entry.msgstr["msgstr"]:
                stale.append(entry.where())
        elif compiled.get((key, 0)) != entry.msgstr["msgstr[0]"]:
            stale.append(entry.where())
    assert not stale, "Run manage.py compilemessages -l es and commit the .mo:\n" + "\n".join(stale)


# --- pages ---------------------------------------------------------------------------------------------


def visible_text(page: str) -> str:
    """What a person reads or hears: the text between tags and the attributes a screen reader speaks."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    spoken = re.findall(r'\b(?:aria-label|placeholder|title|alt|data-[\w-]+-text|data-sending-label)="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(" ".join([text, *spoken]))


def english_left_in(page: str) -> list[str]:
    """English sentences of the catalog, and English words, still on a page meant to be in Spanish."""
    text = " ".join(re.sub(r"https?://\S+", " ", visible_text(page)).split())  # links are not sentences
    sentences = [
        entry.msgid
        for entry in _catalog_entries(CATALOG)
        if len(entry.msgid.split()) >= 3 and "%" not in entry.msgid and "<" not in entry.msgid
    ]
    found = [sentence for sentence in sentences if sentence in text]
    found += sorted({match.group(0) for match in ENGLISH_WORDS.finditer(text)})
    return found


@pytest.fixture
def cast(db):
    production = ProductionFactory(name="Polvo del Desierto", timezone="Asia/Tokyo")
    people = {
        "crew": member(production, Role.CREW, Department.GRIP, full_name="Gabi Grip"),
        "department_head": member(production, Role.DEPARTMENT_HEAD, Department.GRIP, full_name="Kay Keygrip"),
        "armorer": member(production, Role.ARMORER, Department.PROPS, full_name="Arden Armero"),
        "safety": member(production, Role.SAFETY, Department.PRODUCTION, full_name="Ada Primera"),
        "producer": member(production, Role.PRODUCER, Department.PRODUCTION, full_name="Pia Productora"),
    }
    return production, people


@pytest.fixture
def spanish(client):
    """A browser that picked Spanish with the language switcher (signed in or not, the cookie is set)."""
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    return client


def _assert_spanish(page: str, *words: str) -> None:
    assert '<html lang="es">' in page
    for word in words:
        assert word in page, f"{word!r} missing from the Spanish page"
    assert not english_left_in(page), f"English left on a Spanish page: {english_left_in(page)}"


@pytest.mark.parametrize(
    ("url_name", "words"),
    [
        ("login", ["Iniciar sesión", "¿Olvidaste tu contraseña?", "Contraseña"]),
        ("signup", ["Crear una cuenta", "Tu nombre", "Idioma"]),
        ("receipt", ["Seguimiento de un reporte anónimo", "Código de seguimiento", "Ver mi reporte"]),
    ],
)
def test_pages_without_an_account_read_in_spanish(spanish, db, url_name, words):
    _assert_spanish(spanish.get(reverse(url_name)).content.decode(), *words)


def test_the_home_page_reads_in_spanish(spanish, cast):
    production, people = cast
    file_report(production, people["crew"], Category.RIGGING, **SPANISH_REPORT)
    spanish.force_login(people["crew"])
    page = spanish.get(reverse("home")).content.decode()
    _assert_spanish(page, "Reportar un problema", "PARAR TODO", "Mis producciones", "Miembro del equipo", "Maquinaria")


def test_the_report_form_reads_in_spanish_with_its_choices_and_help(spanish, cast):
    _, people = cast
    spanish.force_login(people["crew"])
    page = spanish.get(reverse("report_new")).content.decode()
    _assert_spanish(page, "¿Qué tipo de problema es?", "Munición real en el set", "De fogueo", "Enviar el reporte")
    assert "Asia/Tokyo" in page  # "Las horas están en la zona horaria de la producción (Asia/Tokyo)."


def test_the_report_form_says_what_is_wrong_in_spanish(spanish, cast):
    production, people = cast
    spanish.force_login(people["crew"])
    response = spanish.post(reverse("report_new"), {"production": production.pk, "category": Category.MISFIRE})
    page = response.content.decode()
    assert response.status_code == 200
    _assert_spanish(
        page, "El reporte aún no se envió. Corrige:", "Dale al reporte un título corto.", "Cuenta qué pasó."
    )


def test_the_report_page_reads_in_spanish(spanish, cast):
    production, people = cast
    report = file_report(production, people["crew"], Category.LIVE_AMMUNITION, ammunition="live", **SPANISH_REPORT)
    report_acknowledge(report_id=report.pk, user=people["armorer"])
    spanish.force_login(people["crew"])
    page = spanish.get(report.get_absolute_url()).content.decode()
    _assert_spanish(page, "Confirmado por Arden Armero", "Munición real en el set", "Real", "Qué pasó con este reporte")


def test_the_dashboard_and_the_handlers_report_page_read_in_spanish(spanish, cast):
    production, people = cast
    report = file_report(production, people["crew"], Category.MISFIRE, ammunition="blank", **SPANISH_REPORT)
    spanish.force_login(people["producer"])
    dashboard = spanish.get(reverse("dashboard")).content.decode()
    _assert_spanish(dashboard, "Pendientes de confirmación", "Tendencias", "Fallo de disparo / disparo accidental")
    page = spanish.get(report.get_absolute_url()).content.decode()
    _assert_spanish(page, "Confirmar: me ocupo yo", "Añadir comentario", "Esperando confirmación.")


def test_the_inbox_reads_in_spanish(spanish, cast):
    production, people = cast
    file_report(production, people["crew"], Category.MISFIRE, ammunition="blank", **SPANISH_REPORT)
    spanish.force_login(people["department_head"])
    page = spanish.get(reverse("inbox")).content.decode()
    _assert_spanish(page, "Buzón", "Nuevo reporte de seguridad", "Marcar todo como leído")


def test_the_receipt_follow_up_reads_in_spanish(spanish, cast):
    production, _ = cast
    receipt = receipt_new()
    anonymous = draft(Category.RIGGING, **SPANISH_REPORT)
    report_file(production=production, reporter=None, draft=anonymous, receipt_hash=receipt.hash)
    page = spanish.post(reverse("receipt"), {"receipt": receipt.code, "action": "view"}, follow=True).content.decode()
    _assert_spanish(page, "Tu reporte anónimo", "Presentaste el reporte.", "Responder a los responsables")


def test_the_stop_work_form_and_banner_read_in_spanish(spanish, cast):
    production, people = cast
    spanish.force_login(people["crew"])
    form = spanish.get(reverse("stop_work_new")).content.decode()
    _assert_spanish(form, "PARAR TODO", "¿Por qué hay que parar el trabajo?", "Confidencial")
    stop_work_call(
        production=production, caller=people["crew"], reason="Bala real en el carro", identity=Identity.NAMED
    )
    home = spanish.get(reverse("home")).content.decode()
    _assert_spanish(home, "Trabajo parado", "Gabi Grip lo pidió el")


def test_the_account_language_is_used_until_the_browser_picks_another(client, cast):
    _, people = cast
    people["crew"].language = "es"
    people["crew"].save(update_fields=["language"])
    client.force_login(people["crew"])
    assert "Reportar un problema" in client.get(reverse("home")).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Report a concern" in client.get(reverse("home")).content.decode()


# --- emails --------------------------------------------------------------------------------------------


def test_a_notification_email_to_a_spanish_speaker_is_in_spanish_and_the_production_time_zone(cast, settings):
    settings.SITE_URL = "https://safetrack.example"
    production, people = cast
    armorer = people["armorer"]
    armorer.language = "es"
    armorer.save(update_fields=["language"])
    report = file_report(production, people["crew"], Category.MISFIRE, ammunition="blank", **SPANISH_REPORT)
    notification = Notification.objects.get(report=report, recipient=armorer, channel=Channel.EMAIL)

    notification_deliver(notification_id=notification.pk)

    [email] = mail.outbox
    assert email.to == [armorer.email]
    assert "Nuevo reporte de seguridad" in email.subject and "ALTA" in email.subject.upper()
    [(html_body, _)] = email.alternatives
    for body in (email.body, html_body):
        assert "Fallo de disparo / disparo accidental" in body and "Tiempo abierto:" in body
        assert "Confírmalo con un clic" in body or "Confirmar con un clic" in body
        assert "JST" in body  # Asia/Tokyo
        assert not english_left_in(body), english_left_in(body)
    assert '<html lang="es">' in html_body


def test_the_same_notification_to_an_english_speaker_stays_in_english(cast):
    production, people = cast
    report = file_report(production, people["crew"], Category.MISFIRE, ammunition="blank", **SPANISH_REPORT)
    notification = Notification.objects.get(report=report, recipient=people["armorer"], channel=Channel.EMAIL)
    notification_deliver(notification_id=notification.pk)
    [email] = mail.outbox
    assert "New safety report" in email.subject and "Misfire / accidental discharge" in email.body


# --- time zones ----------------------------------------------------------------------------------------


def test_the_report_page_shows_times_in_the_reports_production_time_zone_not_the_viewers(spanish, cast):
    """The viewer works on a production in Los Angeles; the report is from the Tokyo one (UTC+9)."""
    production, people = cast
    elsewhere = ProductionFactory(name="Otra", timezone="America/Los_Angeles")
    member_elsewhere = people["producer"]
    member_elsewhere.memberships.create(production=elsewhere, role=Role.PRODUCER, department=Department.PRODUCTION)
    occurred = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    report = file_report(production, people["crew"], Category.RIGGING, occurred_at=occurred, **SPANISH_REPORT)
    report_acknowledge(report_id=report.pk, user=people["producer"])
    report.refresh_from_db()
    spanish.force_login(member_elsewhere)
    spanish.post(reverse("production_switch", args=[elsewhere.pk]), {"next": "/"})

    page = spanish.get(report.get_absolute_url()).content.decode()

    with translation.override("es"):
        for moment in (report.created_at, report.acknowledged_at, report.next_escalation_at):
            tokyo = timezone.localtime(moment, production.tzinfo)
            assert f"{formats.date_format(tokyo, 'DATETIME_FORMAT')} JST" in page
            los_angeles = timezone.localtime(moment, elsewhere.tzinfo)
            assert formats.date_format(los_angeles, "DATETIME_FORMAT") not in page
            assert formats.date_format(timezone.localtime(moment, UTC), "DATETIME_FORMAT") not in page
        assert "de " in formats.date_format(timezone.localtime(report.created_at, production.tzinfo), "DATETIME_FORMAT")
