"""Fields the forms share."""

import uuid

from django import forms
from django.utils.functional import Promise

from safetrack.text import strip_invisible


class TextField(forms.CharField):
    """The text people type. Text made only of invisible characters (zero-width spaces, joiners, direction
    marks) is empty, so a required box says so, as it does for spaces (Django strips whitespace alone);
    any other text is kept as typed, what the trail keeps as evidence."""

    def to_python(self, value: object) -> str:
        text = super().to_python(value)
        if self.strip and isinstance(text, str) and text and not strip_invisible(text):
            return self.empty_value
        return text


def text_box(
    *,
    label: str | Promise,
    required: str | Promise,
    too_long: str | Promise | None = None,
    max_length: int = 4000,
    rows: int = 3,
    help_text: str | Promise = "",
) -> TextField:
    """A box for free text someone types (a comment, a reply, a reason, a corrective action), with the
    words said when it is left empty and, where given, when it is too long."""
    error_messages = {"required": required}
    if too_long is not None:
        error_messages["max_length"] = too_long
    return TextField(
        label=label,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
        error_messages=error_messages,
    )


class HiddenTextField(forms.CharField):
    """A hidden value the page's script or a link sets (a submission key, a save time, a join code). Nobody
    can see an error on it, so no value makes the field itself invalid: NUL bytes are dropped and what is
    longer than `max_length` is cut; the form's own clean method then reads junk as absent, or says what
    is wrong where it is seen."""

    def __init__(self, *, max_length: int = 64, **kwargs: object):
        kwargs.setdefault("required", False)
        super().__init__(max_length=max_length, widget=forms.HiddenInput, **kwargs)

    def clean(self, value: object) -> str:
        if isinstance(value, str):
            value = value.replace("\x00", "")[: self.max_length]
        return super().clean(value)


def new_submission_key() -> str:
    return str(uuid.uuid4())


class SubmissionKeyField(HiddenTextField):
    """One submission per key (a report, a stop-work call, a lot, a time request): rendered with a new
    UUID, read back as a UUID. A double tap, or a resend after a lost answer, sends the same key and the
    service returns what the first one made. Junk reads as absent: that submission simply has no key."""

    def __init__(self, **kwargs: object):
        kwargs.setdefault("initial", new_submission_key)
        super().__init__(**kwargs)

    def clean(self, value: object) -> uuid.UUID | None:  # type: ignore[override]
        try:
            return uuid.UUID(super().clean(value) or "")
        except ValueError:
            return None
