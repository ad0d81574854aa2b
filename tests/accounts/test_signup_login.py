import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db
def test_someone_signs_up_with_email_and_is_logged_in(client):
    response = client.post(
        reverse("signup"),
        {
            "full_name": "Gabi Grip",
            "email": "Gabi@Example.com",
            "language": "es",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="gabi@example.com")
    assert user.language == "es"
    assert client.get(reverse("home")).context["user"] == user


@pytest.mark.django_db
def test_sign_up_with_a_taken_email_says_so_and_keeps_the_name(client):
    UserFactory(email="taken@example.com")
    response = client.post(
        reverse("signup"),
        {
            "full_name": "Second Person",
            "email": "TAKEN@example.com",
            "language": "en",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "already exists" in body
    assert "Second Person" in body


@pytest.mark.django_db
def test_login_uses_the_email_address(client):
    user = UserFactory(email="crew@example.com")
    response = client.post(reverse("login"), {"username": "crew@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_login_with_a_clear_message(client, settings):
    UserFactory(email="crew@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "crew@example.com", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "crew@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()


@pytest.mark.django_db
def test_a_completed_password_reset_lifts_the_lockout_the_lockout_page_offers_it_for(client, settings):
    user = UserFactory(email="crew@example.com")
    for typed in ["crew@example.com"] * settings.AXES_FAILURE_LIMIT + ["Crew@Example.com"]:
        client.post(reverse("login"), {"username": typed, "password": "wrong"})
    assert client.post(reverse("login"), {"username": "crew@example.com", "password": PASSWORD}).status_code == 429

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = client.get(reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(user)]))
    new = "a brand new long passphrase"
    done = client.post(link["Location"], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302

    response = client.post(reverse("login"), {"username": "crew@example.com", "password": new})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
def test_a_signed_in_person_sees_pages_in_their_own_language(client):
    client.force_login(UserFactory(language="es"))
    response = client.get(reverse("home"))
    assert response.context["LANGUAGE_CODE"] == "es"
    assert '<html lang="es">' in response.content.decode()


@pytest.mark.django_db
def test_the_language_switcher_remembers_the_choice_on_the_account(client):
    user = UserFactory(language="en")
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "es"
    assert client.get(reverse("home")).context["LANGUAGE_CODE"] == "es"


@pytest.mark.django_db
def test_the_language_switcher_ignores_unknown_languages(client):
    user = UserFactory(language="en")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"
