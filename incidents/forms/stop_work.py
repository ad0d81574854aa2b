"""Stop-work: the call (hard to make by accident, no JavaScript needed) and the lift with its clearance."""

from collections.abc import Sequence

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from incidents.forms.fields import SubmissionKeyField, TextField
from incidents.models import Identity
from incidents.services.stop_work import CLEARANCE_MAX_LENGTH, REASON_MAX_LENGTH

IDENTITY_EXPLAINED = [
    (Identity.NAMED, _("Named: handlers see your name.")),
    (
        Identity.CONFIDENTIAL,
        _(
            "Confidential: handlers see “a crew member”, never your name. You follow it from your account. "
            "Only the safety coordinator or an admin can reveal your name, with a recorded reason, and you are told."
        ),
    ),
    (
        Identity.ANONYMOUS,
        _(
            "Anonymous: not linked to your account at all. You get a receipt code, shown once, to follow it up. "
            "Handlers see the time it was filed."
        ),
    ),
]


def _helper(label: str, css_class: str = "btn-lg w-100") -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", label, css_class=css_class))
    return helper


class StopWorkForm(forms.Form):
    production = forms.TypedChoiceField(
        label=_("Production"),
        coerce=int,
        error_messages={
            "required": _("Choose the production that must stop."),
            "invalid_choice": _("Choose one of your productions."),
        },
    )
    title = TextField(
        label=_("Why must work stop?"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("A few words everyone will see on the red banner, e.g. “Live round found in the prop cart”."),
        error_messages={
            "required": _("Say in a few words why work must stop."),
            "max_length": _("Keep the reason under %(limit_value)d characters; add the rest below."),
        },
    )
    description = TextField(
        label=_("Anything else handlers should know (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Keep the details under %(limit_value)d characters.")},
    )
    location = TextField(
        label=_("Where (optional)"),
        required=False,
        max_length=200,
        error_messages={"max_length": _("Keep the place under %(limit_value)d characters.")},
    )
    identity = forms.ChoiceField(
        label=_("Who handlers see as the caller"),
        choices=IDENTITY_EXPLAINED,
        initial=Identity.NAMED,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how you want to be shown."),
            "invalid_choice": _("Choose named, confidential or anonymous."),
        },
    )
    confirm = forms.BooleanField(
        label=_("I am calling STOP WORK now: every level of this production will be alerted at once."),
        error_messages={"required": _("Tick this box to confirm you are calling stop-work now.")},
    )

    # One call per key: a double tap or a retry after a lost answer alerts nobody twice. Junk is ignored.
    idempotency_key = SubmissionKeyField()

    def __init__(self, *args: object, memberships: Sequence[Membership], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.memberships = {m.production_id: m for m in memberships}
        field = self.fields["production"]
        field.choices = [(m.production_id, m.production.name) for m in memberships]  # type: ignore[attr-defined]
        if len(memberships) == 1:
            field.initial = memberships[0].production_id
            field.widget = forms.HiddenInput()
        self.helper = _helper(str(_("Call STOP WORK")), css_class="btn-danger btn-lg w-100 btn-stop-work")

    def clean_production(self) -> Membership:
        return self.memberships[self.cleaned_data["production"]]


class StopWorkLiftForm(forms.Form):
    clearance_note = TextField(
        label=_("Clearance: what was checked, and by whom"),
        max_length=CLEARANCE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "e.g. “Armorer J. Doe checked every weapon and round in the cart: all dummies. Producer approved.”"
        ),
        error_messages={
            "required": _("Write what was checked, and by whom, before work resumes."),
            "max_length": _("Keep the clearance note under %(limit_value)d characters."),
        },
    )

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.helper = _helper(str(_("Lift stop-work")), css_class="btn-success btn-lg w-100")
