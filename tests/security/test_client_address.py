"""Behind a proxy, login lockout and every rate limit see the same client address, from one configured
place (issue 15, item 13): TRUSTED_PROXY_COUNT proxies append to X-Forwarded-For, so the client is the
Nth address from the right; what the client wrote further left is not trusted."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


def via_proxy(client_address: str, spoofed: str = "") -> dict[str, str]:
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def test_lockout_behind_a_proxy_locks_the_guessing_client_not_everyone_behind_the_proxy(
    client, settings, behind_one_proxy
):
    UserFactory(email="crew@example.com")
    login = reverse("login")
    for n in range(settings.AXES_FAILURE_LIMIT):
        # A new made-up address on the left each time does not make a new client.
        client.post(
            login, {"username": "crew@example.com", "password": "wrong"}, **via_proxy("203.0.113.7", f"1.1.1.{n}")
        )
    guesser = client.post(login, {"username": "crew@example.com", "password": PASSWORD}, **via_proxy("203.0.113.7"))
    assert guesser.status_code == 429
    colleague = client.post(login, {"username": "crew@example.com", "password": PASSWORD}, **via_proxy("203.0.113.8"))
    assert colleague.status_code == 302


def test_rate_limits_behind_a_proxy_count_per_client_and_ignore_made_up_addresses(client, behind_one_proxy):
    signup = reverse("signup")
    for n in range(10):
        data = {"full_name": f"Person {n}", "email": f"p{n}@example.com", "language": "en"}
        data |= {"password1": PASSWORD, "password2": PASSWORD}
        client.post(signup, data, **via_proxy("203.0.113.7", f"9.9.9.{n}"))
        client.logout()
    data = {"full_name": "Eleven", "email": "p11@example.com", "language": "en", "password1": PASSWORD}
    data["password2"] = PASSWORD
    assert client.post(signup, data, **via_proxy("203.0.113.7", "8.8.8.8")).status_code == 429
    assert client.post(signup, data, **via_proxy("203.0.113.8")).status_code == 302


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    UserFactory(email="crew@example.com")
    login = reverse("login")
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, {"username": "crew@example.com", "password": "wrong"}, **via_proxy(f"203.0.113.{n}"))
    locked = client.post(login, {"username": "crew@example.com", "password": PASSWORD}, **via_proxy("203.0.113.99"))
    assert locked.status_code == 429
