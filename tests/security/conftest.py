"""Fixtures of the security tests (the cast is in tests/conftest.py)."""

import os
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from hypothesis import HealthCheck, settings

from tests.factories import UserFactory
from tests.security.world import PRODUCTION_ADMINS


@pytest.fixture
def production_admin(production):
    """Staff in the "Production admins" group, linked to `production` only, and a member of nothing."""
    user = UserFactory(is_staff=True, full_name="Pat Scoped")
    user.groups.add(Group.objects.get(name=PRODUCTION_ADMINS))
    production.admins.add(user)
    return user


# Property-based tests (tests/security/test_bad_input.py): a moderate number of examples with a
# generous per-example deadline (the CI machine is shared), no shrinking time wasted on health checks
# about function-scoped fixtures (each example re-counts the rows it may have changed).
settings.register_profile(
    "ci",
    max_examples=40,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("thorough", parent=settings.get_profile("ci"), max_examples=400)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
