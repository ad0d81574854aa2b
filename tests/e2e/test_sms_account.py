"""The account page's text-message section on a phone (360 px), in English and Spanish: waiting for the
code with an error shown, then verified. It fits and passes axe (the forms are plain posts: no JavaScript needed)."""

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from incidents.models import PhoneNumber
from tests.e2e.conftest import axe_violations, describe_violations, scroll_overflow


@pytest.fixture
def sms_settings(settings: Any) -> None:
    settings.SMS_ACCOUNT_SID = "AC" + "0" * 32
    settings.SMS_AUTH_TOKEN = "token"
    settings.SMS_FROM_NUMBER = "+15005550006"
    settings.SMS_PROVIDER_URL = "http://127.0.0.1:9"  # nothing listens: no code is ever sent here


def _fits_and_passes_axe(page: Page) -> None:
    overflow = scroll_overflow(page)
    assert overflow["scrollWidth"] <= overflow["clientWidth"], overflow
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)


@pytest.mark.parametrize(
    ("language", "wrong"), [("en-US", "That code is not right"), ("es", "Ese código no es correcto")]
)
def test_the_text_message_section_fits_a_phone_and_says_what_went_wrong(
    open_page: Callable[..., Page], crew: User, sms_settings: None, language: str, wrong: str
):
    crew.language = language[:2]
    crew.save(update_fields=["language"])
    PhoneNumber.objects.create(user=crew, number="+34612345678", code_hash="0" * 64, code_sent_at=timezone.now())
    page = open_page(user=crew, language=language, bypass_csp=True)  # axe is injected
    page.goto("/account/")
    page.locator("input[name=code]").fill("123456")
    page.locator("form[action='/account/phone/verify/'] button").click()
    expect(page.locator("#code-error")).to_contain_text(wrong)
    expect(page.locator("#sms")).to_contain_text("+34 ··· 678")
    _fits_and_passes_axe(page)

    PhoneNumber.objects.filter(user=crew).update(verified_at=timezone.now(), code_hash="")
    page.goto("/account/")
    expect(page.locator("#sms strong")).to_have_text("+34 ··· 678")
    _fits_and_passes_axe(page)
