"""Control characters in what django-axes stores about a login (issue 15, item 7): a NUL byte in the
User-Agent answered 500 (PostgreSQL refuses NUL in text) and the failed attempt was not counted, so
adding one to every guess dodged the lockout."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("user_agent", ["Mozilla/5.0\x00<script>", "curl\x07\x1b[31m", "\x00"])
def test_a_failed_login_with_control_characters_in_the_user_agent_is_answered_and_counted(client, user_agent):
    UserFactory(email="crew@example.com")
    response = client.post(
        reverse("login"), {"username": "crew@example.com", "password": "wrong"}, HTTP_USER_AGENT=user_agent
    )
    assert response.status_code == 200
    attempt = AccessAttempt.objects.get(username="crew@example.com")
    assert attempt.failures_since_start == 1
    assert not any(ord(ch) < 32 for ch in attempt.user_agent)


def test_control_characters_in_the_user_agent_do_not_dodge_the_lockout(client, settings):
    UserFactory(email="crew@example.com")
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"), {"username": "crew@example.com", "password": "wrong"}, HTTP_USER_AGENT=f"bot\x00{n}"
        )
    response = client.post(
        reverse("login"), {"username": "crew@example.com", "password": PASSWORD}, HTTP_USER_AGENT="bot\x00"
    )
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()


def test_a_nul_byte_in_the_username_is_refused_by_the_form_not_a_500(client):
    """The lockout check reads the username before the form does; it must not reach PostgreSQL raw."""
    UserFactory(email="crew@example.com")
    response = client.post(reverse("login"), {"username": "crew@example.com\x00", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
