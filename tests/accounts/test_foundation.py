import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Membership, Production, User
from incidents.models import EscalationLevel

ROOT = Path(__file__).resolve().parents[2]


def _engine_with(env_overrides: dict[str, str | None]) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({k: v for k, v in env_overrides.items() if v is not None})
    env["DJANGO_SETTINGS_MODULE"] = "safetrack.settings.base"
    code = (
        "from django.conf import settings; import django; django.setup();"
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL.split(':')[0])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_settings_use_sqlite_and_a_filesystem_broker_when_nothing_is_set():
    assert _engine_with({}) == "django.db.backends.sqlite3 filesystem"


def test_settings_use_postgresql_and_redis_when_their_urls_are_set():
    engine = _engine_with({"DATABASE_URL": "postgres://u@db.example:5432/st", "REDIS_URL": "redis://cache:6379/0"})
    assert engine == "django.db.backends.postgresql redis"


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DEBUG="false", DJANGO_SETTINGS_MODULE="safetrack.settings.base")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_bad_boolean_in_the_environment_fails_loudly():
    env = dict(os.environ, DEBUG="maybe", DJANGO_SETTINGS_MODULE="safetrack.settings.base")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert "DEBUG must be a boolean" in result.stderr


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing_the_second_time():
    call_command("seed_demo", "--quiet")
    counts = (
        User.objects.count(),
        Production.objects.count(),
        Membership.objects.count(),
        EscalationLevel.objects.count(),
    )
    passwords = dict(User.objects.values_list("email", "password"))
    call_command("seed_demo", "--quiet")
    assert counts == (
        User.objects.count(),
        Production.objects.count(),
        Membership.objects.count(),
        EscalationLevel.objects.count(),
    )
    assert passwords == dict(User.objects.values_list("email", "password"))
    assert counts[1] == 1 and counts[3] == 5
    roles = set(Membership.objects.values_list("role", flat=True))
    assert {"crew", "department_head", "armorer", "safety", "upm", "producer", "executive"} <= roles


@pytest.mark.django_db
def test_the_demo_admin_administers_the_demo_production_so_its_last_alert_reaches_someone():
    call_command("seed_demo", "--quiet")
    call_command("seed_demo", "--quiet")
    production = Production.objects.get()
    assert list(production.admins.values_list("email", flat=True)) == ["admin@safetrack.example"]


@pytest.mark.django_db
def test_seed_demo_fast_makes_each_level_take_seconds():
    call_command("seed_demo", "--quiet", "--fast")
    assert all(level.critical_timeout.total_seconds() <= 10 for level in EscalationLevel.objects.all())


@pytest.mark.django_db
def test_the_home_page_offers_login_to_visitors(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert reverse("login") in response.content.decode()


@pytest.mark.django_db
def test_the_home_page_shows_the_report_button_and_my_productions(client, crew, production):
    client.force_login(crew)
    body = client.get(reverse("home")).content.decode()
    assert "Report a concern" in body
    assert production.name in body


@pytest.mark.django_db
def test_pages_load_bootstrap_from_this_server_not_a_cdn(client):
    body = client.get(reverse("home")).content.decode()
    assert "/static/vendor/bootstrap/bootstrap.min.css" in body
    assert "cdn" not in body.lower()
