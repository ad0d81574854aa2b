"""Fixtures of the security tests (the cast is in tests/conftest.py)."""

import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory
from tests.security.world import PRODUCTION_ADMINS


@pytest.fixture
def production_admin(production):
    """Staff in the "Production admins" group, linked to `production` only, and a member of nothing."""
    user = UserFactory(is_staff=True, full_name="Pat Scoped")
    user.groups.add(Group.objects.get(name=PRODUCTION_ADMINS))
    production.admins.add(user)
    return user
