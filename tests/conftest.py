"""The cast of every test: a production with a crew member, a handler at each rank, and outsiders."""

import os
import time
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db.backends.signals import connection_created
from django.utils import translation

from accounts.models import Department, Role
from incidents.ladder import LADDERS
from incidents.selectors.contacts import CONTACTS
from incidents.services.firearm_flags import SCANNERS
from incidents.services.recipients import CREWS
from tests.factories import ProductionFactory, UserFactory, member

# Real Celery worker/beat processes, an SMTP server and wait helpers (see tests/live.py).
pytest_plugins = ["tests.live"]


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    broker = "redis" if settings.REDIS_URL else "filesystem (no REDIS_URL)"
    return [f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''} {db['NAME']}", f"broker: {broker}"]


def pytest_configure(config):
    if os.environ.get("CI") == "true":
        missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
        if missing:
            raise pytest.UsageError(f"CI must test against PostgreSQL and Redis, but {', '.join(missing)} unset")
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            raise pytest.UsageError("CI must test against PostgreSQL, not " + settings.DATABASES["default"]["ENGINE"])


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    LADDERS.clear()  # the per-process caches keyed on Production.config_version
    CREWS.clear()
    CONTACTS.clear()
    SCANNERS.clear()


@pytest.fixture(autouse=True)
def _rate_limit_window(monkeypatch):
    """django-ratelimit counts in fixed windows (10 a minute ends at a fixed second): a test's requests
    spread over a few seconds of a slow machine could straddle the window's end and be counted in two.
    In this process the limiter's clock stands still for the test, so every request falls in one window
    (the web processes of the browser and fault tests keep the real clock)."""
    started = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: started))


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: the test client's requests run in this thread and the
    locale middleware leaves the last request's language active (a Spanish page before a service call
    would otherwise make that service's messages Spanish)."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def production(db):
    return ProductionFactory(name="Dust Devil")


@pytest.fixture
def other_production(db):
    return ProductionFactory(name="Other Show")


@pytest.fixture
def crew(production):
    return member(production, Role.CREW, Department.GRIP, full_name="Gabi Grip")


@pytest.fixture
def other_crew(production):
    return member(production, Role.CREW, Department.CAMERA, full_name="Cam Operator")


@pytest.fixture
def department_head(production):
    return member(production, Role.DEPARTMENT_HEAD, Department.GRIP, full_name="Kay Keygrip")


@pytest.fixture
def armorer(production):
    return member(production, Role.ARMORER, Department.PROPS, full_name="Arden Armorer")


@pytest.fixture
def safety(production):
    return member(production, Role.SAFETY, Department.PRODUCTION, full_name="Ada FirstAD")


@pytest.fixture
def upm(production):
    return member(production, Role.UPM, Department.PRODUCTION, full_name="Una Manager")


@pytest.fixture
def producer(production):
    return member(production, Role.PRODUCER, Department.PRODUCTION, full_name="Pia Producer")


@pytest.fixture
def executive(production):
    return member(production, Role.EXECUTIVE, Department.PRODUCTION, full_name="Eve Executive")


@pytest.fixture
def ladder_cast(department_head, armorer, safety, upm, producer, executive):
    """Someone at every level of the default policy."""
    return {
        "department_head": department_head,
        "armorer": armorer,
        "safety": safety,
        "upm": upm,
        "producer": producer,
        "executive": executive,
    }


@pytest.fixture
def outsider(other_production):
    """A producer of another production: must never see this production's reports."""
    return member(other_production, Role.PRODUCER, Department.PRODUCTION, full_name="Olly Outsider")


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True, full_name="Sam Admin")


def _allow_the_test_flush(sender, connection, **kwargs):
    """pytest-django empties the database between transactional tests with TRUNCATE, which the trail's
    statement trigger refuses unless the session says so (migration incidents 0007). Only the test
    process says so; tests/incidents/test_trail_hardening.py switches it off again to check the refusal."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET safetrack.trail_truncate_allowed = 'on'")


connection_created.connect(_allow_the_test_flush)
