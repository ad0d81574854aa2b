"""An investigation's forms: what happened, the why chain, the factors and the linked reports; and a
witness statement (a photo or PDF, through the attachments' checks). They check what was typed; the
service checks who may write, which reports get an investigation and which reports may be linked."""

import re
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from incidents.forms.fields import TextField, text_box
from incidents.models import MAX_WHYS, Factor, Investigation
from incidents.services.attachments import CleanUpload, upload_clean
from incidents.services.investigations import (
    LINKS_MAX,
    OTHER_MAX,
    WHAT_HAPPENED_MAX,
    WHY_MAX,
    WITNESS_MAX,
    InvestigationDraft,
)

WHY_FIELDS = [f"why_{n}" for n in range(1, MAX_WHYS + 1)]
NUMBER = re.compile(r"#?(\d{1,9})")


def _helper(label: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template writes the <form>, with its action and enctype
    helper.add_input(Submit("submit", label, css_class="btn-primary btn-lg w-100"))
    return helper


class InvestigationForm(forms.Form):
    what_happened = text_box(
        label=_("What happened"),
        required=_("Say what happened."),
        too_long=_("Keep it under 10,000 characters (it has %(show_value)d)."),
        max_length=WHAT_HAPPENED_MAX,
        rows=6,
        help_text=_("The facts, in order: who was where, what was done, what went wrong."),
    )
    factors = forms.MultipleChoiceField(
        label=_("Contributing factors"),
        choices=Factor.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose factors from the list.")},
    )
    factors_other = TextField(
        label=_("Other factor"),
        max_length=OTHER_MAX,
        required=False,
        help_text=_("If you ticked “Other”: what was it?"),
        error_messages={"max_length": _("Keep it under %(limit_value)d characters.")},
    )
    linked_reports = TextField(
        label=_("Linked reports"),
        max_length=300,
        required=False,
        help_text=_("Numbers of other reports of this production, separated by commas (for example: 12, 15)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"max_length": _("Keep it under %(limit_value)d characters.")},
    )
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # The why chain sits between what happened and the factors.
        whys = {}
        for number, name in enumerate(WHY_FIELDS, start=1):
            label = _("Why did it happen?") if number == 1 else _("Why was that? (%(number)s)") % {"number": number}
            whys[name] = TextField(
                label=label,
                max_length=WHY_MAX,
                required=False,
                help_text=_("Ask “why?” of each answer until you reach the root cause: the last answer is it.")
                if number == 1
                else "",
                error_messages={"max_length": _("Keep each answer under %(limit_value)d characters.")},
            )
        fields = list(self.fields.items())
        self.fields = {**dict(fields[:1]), **whys, **dict(fields[1:])}
        self.helper = _helper(str(_("Save the investigation")))

    @classmethod
    def for_investigation(cls, investigation: Investigation | None) -> "InvestigationForm":
        if investigation is None:
            return cls()
        initial: dict[str, Any] = {
            "what_happened": investigation.what_happened,
            "factors": investigation.factors,
            "factors_other": investigation.factors_other,
            "linked_reports": ", ".join(
                str(pk) for pk in investigation.linked_reports.order_by("pk").values_list("pk", flat=True)
            ),
            "version": investigation.version,
        }
        initial.update(zip(WHY_FIELDS, investigation.whys, strict=False))
        return cls(initial=initial)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "version" in self.errors:
            # A hidden field nobody types: a tampered or mangled page. Said where it shows, not beside it.
            del self.errors["version"]
            self.add_error(None, _("This page is out of date or damaged: reload it and make your change again."))
        return data

    def clean_linked_reports(self) -> list[int]:
        text = self.cleaned_data.get("linked_reports", "")
        numbers = []
        for part in re.split(r"[,;\s]+", text.strip()):
            if not part:
                continue
            match = NUMBER.fullmatch(part)
            if match is None:
                raise ValidationError(
                    _("Write report numbers separated by commas, for example: 12, 15."), code="not_numbers"
                )
            numbers.append(int(match.group(1)))
        if len(set(numbers)) > LINKS_MAX:
            raise ValidationError(_("Link at most %(count)s reports.") % {"count": LINKS_MAX}, code="too_many_links")
        return list(dict.fromkeys(numbers))

    def draft(self) -> InvestigationDraft:
        data = self.cleaned_data
        return InvestigationDraft(
            what_happened=data["what_happened"],
            whys=[data.get(name, "") for name in WHY_FIELDS],
            factors=data.get("factors", []),
            factors_other=data.get("factors_other", ""),
            linked_reports=data.get("linked_reports", []),
        )


class StatementForm(forms.Form):
    witness = TextField(
        label=_("Whose statement"),
        max_length=WITNESS_MAX,
        help_text=_("The witness's name, or how they are known on set."),
        error_messages={
            "required": _("Say whose statement this is."),
            "max_length": _("Keep it under %(limit_value)d characters."),
        },
    )
    file = forms.FileField(
        label=_("The statement"),
        help_text=_("A photo of the signed page (JPEG, PNG, WebP) or a PDF."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
        error_messages={
            "required": _("Choose the statement's file."),
            "empty": _("That file is empty."),
            "invalid": _("That was not a file. Choose the statement's file."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.helper = _helper(str(_("Add the statement")))

    def clean_file(self) -> CleanUpload:
        upload: UploadedFile = self.cleaned_data["file"]
        return upload_clean(upload)
