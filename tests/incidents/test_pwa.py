"""The installable app's files: the manifest, the service worker at the site root, the icons, the page
shown without signal and the session check of the offline outbox."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from PIL import Image

from incidents.views import pwa

pytestmark = pytest.mark.django_db


def test_the_manifest_names_the_app_and_has_the_icons_browsers_ask_for(client):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert (manifest["name"], manifest["short_name"]) == ("SafeTrack", "SafeTrack")
    assert (manifest["start_url"], manifest["display"], manifest["theme_color"]) == ("/", "standalone", "#212529")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        width, height = (int(n) for n in icon["sizes"].split("x"))
        with Image.open(path) as image:
            assert image.size == (width, height)


def test_the_manifest_speaks_the_visitors_language(client):
    client.cookies["django_language"] = "es"
    manifest = json.loads(client.get("/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="es").content)
    assert manifest["lang"] == "es"
    assert "señal" in manifest["description"]


def test_the_service_worker_is_served_from_the_root_and_never_from_a_cache(client):
    response = client.get("/sw.js")
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert f'var VERSION = "{pwa.shell_version()}";' in body
    shell = json.loads(re.search(r"var SHELL = (\[.*?\]);", body).group(1))
    assert "/offline/" in shell
    for url in shell:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), f"{url} is in the shell but not a static file"
    assert "&quot;" not in body  # JSON, not HTML-escaped


def test_the_shell_version_changes_with_the_content_of_a_shell_file(monkeypatch, tmp_path):
    versions = []
    for content in (b"one", b"two"):
        file = tmp_path / "file.js"
        file.write_bytes(content)
        monkeypatch.setattr(pwa.finders, "find", lambda name, file=file: str(file))
        pwa.shell_version.cache_clear()
        versions.append(pwa.shell_version())
    pwa.shell_version.cache_clear()
    assert versions[0] != versions[1]


def test_every_page_links_the_manifest_icons_and_the_scripts_without_inline_code(client, crew):
    client.force_login(crew)
    page = client.get("/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<meta name="theme-color" content="#212529">' in page
    assert 'rel="apple-touch-icon"' in page
    assert f'<meta name="safetrack-user" content="{crew.pk}">' in page
    for script in ("/jsi18n/", "/static/js/outbox.js", "/static/js/pwa.js"):
        assert f'<script src="{script}"></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "an inline script would break the CSP"


def test_the_report_form_loads_the_offline_script_and_says_how_much_a_phone_keeps(client, crew, production):
    client.force_login(crew)
    page = client.get(reverse("report_new") + f"?production={production.pk}").content.decode()
    assert '<script src="/static/js/offline_report.js"></script>' in page
    assert 'data-offline-max-bytes="20971520"' in page
    assert 'name="saved_at"' in page


def test_the_page_shown_without_signal_names_nobody(client, crew):
    client.force_login(crew)
    page = client.get("/offline/").content.decode()
    assert "No signal" in page
    assert crew.full_name not in page
    assert crew.email not in page


def test_the_outbox_learns_who_is_logged_in_and_gets_a_fresh_token(client, crew):
    assert client.get("/offline/session/").status_code == 401
    client.force_login(crew)
    response = client.get("/offline/session/")
    data = response.json()
    assert data["user"] == crew.pk
    assert len(data["csrf"]) >= 32
    assert "no-cache" in response["Cache-Control"]


def test_the_favicon_is_found_where_browsers_look_for_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/icons/favicon.ico"
    assert finders.find("icons/favicon.ico")


def test_the_javascript_catalog_has_the_offline_message_in_spanish(client):
    client.cookies["django_language"] = "es"
    body = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Guardado en este tel\\u00e9fono" in body or "Guardado en este teléfono" in body
