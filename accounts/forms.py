import hashlib
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm, PasswordResetForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited

from .models import Department, User


class SubmitHelperMixin:
    submit_label = _("Save")

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", self.submit_label, css_class="btn-lg w-100"))


class SignupForm(SubmitHelperMixin, BaseUserCreationForm):
    submit_label = _("Create my account")

    class Meta:
        model = User
        fields = ("full_name", "email", "language")
        labels = {"full_name": _("Your name"), "email": _("Email"), "language": _("Language")}

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email already exists. Log in instead."))
        return email


class LoginForm(SubmitHelperMixin, AuthenticationForm):
    submit_label = _("Log in")

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Email")


class JoinForm(SubmitHelperMixin, forms.Form):
    submit_label = _("Join this production")
    # No default: a guessed department sends this person's reports to the wrong head first.
    department = forms.ChoiceField(
        label=_("Your department"),
        choices=[("", _("Choose your department")), *Department.choices],
        help_text=_(
            "The report form starts with it, and a report goes first to its department's head: choose "
            "the one you work in. Not listed? Choose “Other”: your reports then go to every department head."
        ),
        error_messages={
            "required": _("Choose your department: your reports go first to its head."),
            "invalid_choice": _("Choose your department from the list: your reports go first to its head."),
        },
    )


def _reset_address_key(group: str, request: HttpRequest) -> str:
    """The rate-limit key of a password reset: the address asked for, hashed (the cache never holds it)."""
    email = str(request.POST.get("email", "")).strip().lower()
    return hashlib.sha256(email.encode()).hexdigest()


class LimitedPasswordResetForm(PasswordResetForm):
    """At most PASSWORD_RESET_RATE emails (3 an hour) to one address, however often the form is sent.

    The answer page is the same whether an email went out or not, so the form tells nobody whether an
    address has an account or was limited."""

    def save(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        if request is not None and is_ratelimited(
            request,
            group="password-reset",
            key=_reset_address_key,
            rate=settings.PASSWORD_RESET_RATE,
            increment=True,
        ):
            return
        super().save(*args, request=request, **kwargs)
