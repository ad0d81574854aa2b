"""Who may see and do what, for every URL in the URL conf and every role.

Every pattern of `get_resolver()` (the admin's included) must be covered by a case (matrix_app.py,
matrix_admin.py), so a new URL without a rule fails `test_every_url_pattern_has_a_rule`. A case names
the URL with objects of THE production (see tests/security/world.py) and gives, per role, the status code
expected; for actions it also says whose POST changes anything (everyone else's must change nothing).
Cases that name a report, an attachment or a production are repeated with the same object of a
production nobody in the cast belongs to: 404 for everyone but superusers.

Each request runs in a savepoint that is rolled back, so every role meets the same untouched objects.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Production, User
from incidents.models import Event, EventKind, Report
from tests.security.matrix import LOGIN, Case, Expect
from tests.security.matrix_admin import admin_cases
from tests.security.matrix_app import app_cases
from tests.security.world import ROLES, World, build_world

pytestmark = pytest.mark.django_db


def all_cases() -> list[Case]:
    return app_cases() + admin_cases()


# --- running the matrix -------------------------------------------------------------------------------


def pattern_keys(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from pattern_keys(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            if pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name
            else:
                yield f"route:{prefix}{pattern.pattern}"


def test_every_url_pattern_has_a_rule():
    patterns = set(pattern_keys(get_resolver().url_patterns))
    covered = {case.key for case in all_cases()}
    assert sorted(patterns - covered) == [], "URL patterns without a rule in the authorisation matrix"
    assert sorted(covered - patterns) == [], "rules for URL patterns that no longer exist"


def fingerprint() -> tuple:
    """What an action can change: rows of every kind, and each report's state."""
    tables = [model._meta.db_table for model in admin.site._registry if model is not Event]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {table})" for table in tables))  # noqa: S608
        counts = cursor.fetchone()
    return (
        counts,
        Event.objects.exclude(kind=EventKind.VIEWED).count(),  # a handler opening a page is not an action
        tuple(
            Report.objects.order_by("pk").values_list(
                "pk", "status", "escalation_level", "lifted_at", "revealed_at", "reopen_count", "acknowledged_by"
            )
        ),
        tuple(Production.objects.order_by("pk").values_list("join_code", flat=True)),
    )


def _outcome(response: Any) -> Expect:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith((reverse("login"), reverse("admin:login"))):
            return LOGIN
    return response.status_code


def _login(client: Client, user: User | None) -> None:
    if user is not None:
        client.force_login(user)


def run_case(client: Client, world: World, role: str, case: Case) -> tuple[Expect, bool | None]:
    """The outcome of one request, and whether it changed anything; undone afterwards."""
    target = case.url(world)
    data = case.data(world, role) if case.data else {}
    with transaction.atomic():
        before = fingerprint() if case.takes_effect is not None else None
        response = client.post(target, data) if case.method == "POST" else client.get(target)
        changed = None if before is None else fingerprint() != before
        transaction.set_rollback(True)
    if case.method == "POST" and role != "anonymous" and "_auth_user_id" not in client.session:
        _login(client, world.users[role])  # logged out (or the new session was rolled back)
    return _outcome(response), changed


@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_and_cache(settings, media_root):
    """Overrides tests/conftest.py's: the attachments of the module's world stay where they were saved."""
    settings.MEDIA_ROOT = media_root
    cache.clear()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, media_root):
    """One world for the whole module, in a transaction rolled back at its end (each test's own
    transaction, and each request's savepoint, nest inside it)."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.mark.parametrize("role", ROLES)
def test_the_authorisation_matrix(role, world, settings):
    settings.RATELIMIT_ENABLE = False  # the limits have their own tests; here each role asks many times
    client = Client()
    _login(client, world.users[role])
    failures = []
    for case in all_cases():
        outcome, changed = run_case(client, world, role, case)
        expected = case.expect[role]
        if outcome != expected:
            failures.append(f"{case.label} [{case.url(world)}]: expected {expected}, got {outcome}")
        if changed is not None and changed != (role in case.takes_effect):
            failures.append(
                f"{case.label} [{case.url(world)}]: "
                + ("changed something but must not" if changed else "changed nothing but should")
            )
    assert failures == [], f"as {role}:\n" + "\n".join(failures)
