"""Fields the forms share."""

from django import forms
from django.utils.functional import Promise


def text_box(
    *,
    label: str | Promise,
    required: str | Promise,
    too_long: str | Promise | None = None,
    max_length: int = 4000,
    rows: int = 3,
    help_text: str | Promise = "",
) -> forms.CharField:
    """A box for free text someone types (a comment, a reply, a reason, a corrective action), with the
    words said when it is left empty and, where given, when it is too long."""
    error_messages = {"required": required}
    if too_long is not None:
        error_messages["max_length"] = too_long
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
        error_messages=error_messages,
    )
