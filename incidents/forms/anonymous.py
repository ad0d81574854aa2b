"""Forms of the no-account pages: the anonymous report (the report form with a time check and a
honeypot against spam) and the receipt follow-up (look up, reply, reopen)."""

import hashlib
from typing import Any

from django import forms
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.forms.fields import HiddenTextField, TextField, text_box
from incidents.forms.report import ReportForm
from incidents.services.receipt import RECEIPT_GROUP_LENGTH, RECEIPT_GROUPS, RECEIPT_LENGTH, receipt_normalize

STARTED_SALT = "safetrack.anonymous-form-started"
# A person needs more than this to fill in even the shortest report; scripts usually do not wait.
MIN_FILL_SECONDS = 4
MAX_FORM_AGE_SECONDS = 24 * 3600
HONEYPOT_FIELD = "website"
STARTED_FIELD = "started"


def started_token(at: float | None = None) -> str:
    """A signed note of when the form was served (the test suite makes older ones)."""
    return signing.dumps({"t": at if at is not None else timezone.now().timestamp()}, salt=STARTED_SALT)


def started_at(token: str) -> float | None:
    """When the form was served, if the token is ours and not older than a day."""
    try:
        value = signing.loads(token or "", salt=STARTED_SALT, max_age=MAX_FORM_AGE_SECONDS)
    except signing.BadSignature:  # also SignatureExpired
        return None
    started = value.get("t") if isinstance(value, dict) else None
    if not isinstance(started, int | float):
        return None
    age = timezone.now().timestamp() - started
    return float(started) if -60 <= age <= MAX_FORM_AGE_SECONDS else None


def _spent_key(token: str) -> str:
    return "anonymous-form-started:" + hashlib.sha256(token.encode()).hexdigest()


def started_token_spend(token: str, *, submission_key: object = None) -> bool:
    """Use a start token for one report only; False if it already filed one.

    A repeat of the same submission (the same idempotency key, e.g. a phone resending after a lost
    answer) may use it again: filing then returns the first report. The cache keeps spent tokens as long
    as a token is valid at all."""
    stamp = str(submission_key or "")
    key = _spent_key(token)
    if cache.add(key, stamp or "-", timeout=MAX_FORM_AGE_SECONDS + 60):
        return True
    return bool(stamp) and cache.get(key) == stamp


def started_token_is_spent(token: str) -> bool:
    return cache.get(_spent_key(token)) is not None


class HoneypotInput(forms.TextInput):
    """Never echoes a value back, so a person who filled it by mistake can send again."""

    def format_value(self, value: Any) -> None:
        return None


class AnonymousReportForm(ReportForm):
    """The report form for someone without an account: always anonymous, nothing earlier to link."""

    placed_by_page = (HONEYPOT_FIELD,)

    website = TextField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=HoneypotInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs["user"] = None
        super().__init__(*args, **kwargs)
        posted = self.data.get(STARTED_FIELD, "") if self.is_bound else ""
        # Keep a valid start time across a refused submission: waiting then re-sending must work. A token
        # that already filed a report is replaced, so the person can send this one once it is checked.
        usable = started_at(posted) is not None and not started_token_is_spent(posted)
        self.started_token = posted if usable else started_token()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get(HONEYPOT_FIELD):
            raise ValidationError(
                _(
                    "This looked like an automatic submission, so it was not sent. If you are a person, "
                    "check your report and send it again."
                ),
                code="honeypot",
            )
        started = started_at(self.data.get(STARTED_FIELD, ""))
        if started is None:
            raise ValidationError(
                _("This page was open too long or did not load fully, so nothing was sent. Check and send again."),
                code="no_start",
            )
        if timezone.now().timestamp() - started < MIN_FILL_SECONDS:
            raise ValidationError(
                _(
                    "That was quicker than anyone can fill in this form, so it was not sent yet. Check your "
                    "report and send it again."
                ),
                code="too_fast",
            )
        return data


class ReceiptForm(forms.Form):
    receipt = TextField(
        label=_("Receipt code"),
        max_length=80,
        help_text=_("The code you were shown when you filed the report, e.g. ABCDE-FGHJK-MNPQR-STUVW-XYZ23."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "font-monospace",
            }
        ),
        error_messages={
            "required": _("Enter the receipt code you were given."),
            "max_length": _("That is longer than a receipt code. Check what you typed."),
        },
    )
    # Hidden, set by the anonymous page's link: junk in it must not block the form with an error the
    # person cannot see; it just scopes the look-up to no production (the same answer as a wrong code).
    production = HiddenTextField()

    def clean_receipt(self) -> str:
        code = receipt_normalize(self.cleaned_data["receipt"])
        if len(code) != RECEIPT_LENGTH:
            raise ValidationError(
                _("A receipt code has %(groups)s groups of %(length)s letters and digits. Check what you typed.")
                % {"groups": RECEIPT_GROUPS, "length": RECEIPT_GROUP_LENGTH},
                code="format",
            )
        return code

    def clean_production(self) -> str | None:
        value = "".join(ch for ch in self.cleaned_data.get("production", "") if ch.isalnum()).upper()
        return value[:40] or None


class ReceiptReplyForm(forms.Form):
    body = text_box(
        label=_("Your reply to the handlers"),
        required=_("Write your reply first."),
        too_long=_("Keep a reply under %(limit_value)d characters."),
        rows=4,
    )
