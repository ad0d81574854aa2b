"""A mobile number on the account page: verified by a code sent by text (through the fake provider
process), rate limited, hostile input refused with a clear message, one verified holder per number."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import PhoneNumber
from tests.incidents.test_sms import (
    HEAD_NUMBER,
    sms_provider,  # noqa: F401 (the fixture)
    verified,
)

pytestmark = pytest.mark.django_db


def _code(sms_provider) -> str:  # noqa: F811
    return re.search(r"code: (\d{6})", sms_provider.sent()[-1]["body"])[1]


def test_a_number_is_verified_with_the_code_sent_to_it(client, crew, sms_provider):  # noqa: F811
    client.force_login(crew)
    response = client.post(reverse("phone_add"), {"number": "+34 612-345-678"})
    assert response.status_code == 302
    [text] = sms_provider.sent()
    assert text["to"] == HEAD_NUMBER
    page = client.get(reverse("account")).content.decode()
    assert "We sent a code to" in page and "+34 ··· 678" in page
    assert HEAD_NUMBER not in page  # the page shows the last digits only
    response = client.post(reverse("phone_confirm"), {"code": _code(sms_provider)})
    assert response.status_code == 302
    phone = PhoneNumber.objects.get(user=crew)
    assert phone.verified_at is not None and phone.code_hash == ""
    assert "Text messages go to" in client.get(reverse("account")).content.decode()


def test_00_instead_of_plus_is_understood(client, crew, sms_provider):  # noqa: F811
    client.force_login(crew)
    client.post(reverse("phone_add"), {"number": "0034 612 345 678"})
    assert PhoneNumber.objects.get(user=crew).number == HEAD_NUMBER


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Write your mobile number."),
        ("612 345 678", "Start with + and your country code"),
        ("+34 612 abc 678", "A phone number has only digits, spaces and + - ( ) ."),
        ("+34 612\x00345 678", "Null characters are not allowed."),
        ("+34 ٦١٢٣٤٥٦٧٨", "A phone number has only digits"),
        ("<script>alert(1)</script>", "A phone number has only digits"),
        ("+34 612 345 678; DROP TABLE", "A phone number has only digits"),
        ("+1 23", "not a complete mobile number"),
        ("+0 612 345 678", "not a complete mobile number"),
        ("+" + "1" * 40, "too long for a phone number"),
        ("+" + "1" * 20, "not a complete mobile number"),
        ("1" * 100, "too long for a phone number"),
    ],
    ids=lambda value: repr(value)[:30],
)
def test_a_hostile_or_malformed_number_is_refused_with_a_clear_message(
    client,
    crew,
    sms_provider,  # noqa: F811
    typed,
    message,
):
    client.force_login(crew)
    response = client.post(reverse("phone_add"), {"number": typed})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "<script>alert" not in response.content.decode()
    assert not PhoneNumber.objects.exists()
    assert sms_provider.received() == []


def test_a_wrong_code_is_counted_and_after_the_last_try_a_new_code_is_needed(
    client,
    crew,
    sms_provider,  # noqa: F811
    settings,
):
    settings.SMS_CODE_MAX_TRIES = 2
    client.force_login(crew)
    client.post(reverse("phone_add"), {"number": HEAD_NUMBER})
    right = _code(sms_provider)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    first = client.post(reverse("phone_confirm"), {"code": wrong})
    assert first.status_code == 400 and "You have 1 more try." in first.content.decode()
    second = client.post(reverse("phone_confirm"), {"code": wrong})
    assert "Ask for a new one." in second.content.decode()
    third = client.post(reverse("phone_confirm"), {"code": right})
    assert "Too many wrong codes. Ask for a new one." in third.content.decode()
    assert PhoneNumber.objects.get(user=crew).verified_at is None


@pytest.mark.parametrize("code", ["12345", "abcdef", "1234567", "\uff11\uff12\uff13\uff14\uff15\uff16", "' OR 1=1"])
def test_a_code_that_is_not_six_digits_is_refused_without_counting_a_try(
    client,
    crew,
    sms_provider,  # noqa: F811
    code,
):
    client.force_login(crew)
    client.post(reverse("phone_add"), {"number": HEAD_NUMBER})
    response = client.post(reverse("phone_confirm"), {"code": code})
    assert response.status_code == 400
    assert "The code is the 6 digits in the text message." in response.content.decode()
    assert PhoneNumber.objects.get(user=crew).code_tries == 0


def test_an_expired_code_does_not_verify(client, crew, sms_provider, settings):  # noqa: F811
    client.force_login(crew)
    client.post(reverse("phone_add"), {"number": HEAD_NUMBER})
    PhoneNumber.objects.update(code_sent_at=timezone.now() - timedelta(seconds=settings.SMS_CODE_MAX_AGE_SECONDS + 1))
    response = client.post(reverse("phone_confirm"), {"code": _code(sms_provider)})
    assert "This code has expired. Ask for a new one." in response.content.decode()


def test_asking_for_codes_is_rate_limited(client, crew, sms_provider, settings):  # noqa: F811
    settings.SMS_CODE_RATE = "2/h"
    client.force_login(crew)
    assert client.post(reverse("phone_add"), {"number": HEAD_NUMBER}).status_code == 302
    again = client.post(reverse("phone_add"), {"number": HEAD_NUMBER})
    assert "A code was just sent. Wait a minute" in again.content.decode()  # even with the rate limit open
    PhoneNumber.objects.update(code_sent_at=timezone.now() - timedelta(minutes=5))
    assert client.post(reverse("phone_add"), {"number": "+34612345679"}).status_code == 429
    assert len(sms_provider.sent()) == 1


def test_a_number_verified_on_another_account_is_refused(client, crew, department_head, sms_provider):  # noqa: F811
    verified(department_head)
    client.force_login(crew)
    response = client.post(reverse("phone_add"), {"number": HEAD_NUMBER})
    assert response.status_code == 400
    assert "already verified on another SafeTrack account" in response.content.decode()
    assert sms_provider.received() == []


def test_a_provider_that_is_down_says_try_again_and_does_not_block_asking_again(
    client,
    crew,
    sms_provider,  # noqa: F811
):
    sms_provider.switch("down")
    client.force_login(crew)
    response = client.post(reverse("phone_add"), {"number": HEAD_NUMBER})
    assert "could not be sent just now. Try again in a minute." in response.content.decode()
    sms_provider.switch("ok")
    assert client.post(reverse("phone_add"), {"number": HEAD_NUMBER}).status_code == 302


def test_removing_the_number_stops_the_texts(client, crew, sms_provider):  # noqa: F811
    verified(crew)
    client.force_login(crew)
    assert client.post(reverse("phone_remove")).status_code == 302
    assert not PhoneNumber.objects.exists()


def test_without_provider_settings_nobody_is_offered_text_messages(client, crew, settings):
    settings.SMS_ACCOUNT_SID = ""
    client.force_login(crew)
    page = client.get(reverse("account")).content.decode()
    assert "Text messages are not set up on this server yet" in page
    assert reverse("phone_add") not in page
    assert client.post(reverse("phone_add"), {"number": HEAD_NUMBER}).status_code == 409
