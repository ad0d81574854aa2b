"""The report form: used by /reports/new/ (a logged-in member), and reused by the anonymous page (no
user). It only validates and builds a `ReportDraft`; `report_file` does the rest.

Its page (templates/incidents/includes/report_form_fields.html) is laid out for a phone: the category
as short choices, the firearm or ignored-warning questions right under it when they apply, the title and
"What happened?", photos, then "Add details" for the rest. Files chosen for a refused submission are kept
on the server (incidents.services.kept_uploads) and sent back as signed tokens, so nobody chooses a
photo twice. The earlier-reports choice lists the latest few and a search, never every report."""

from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, Membership, Production, User
from accounts.services import user_memberships
from incidents import access
from incidents.categories import SEVERITY_ORDER, Category, Severity, default_severity, is_firearm
from incidents.models import Ammunition, Identity, Report
from incidents.services.attachments import CleanUpload
from incidents.services.filing import ReportDraft

from .fields import HiddenTextField, SubmissionKeyField, TextField
from .kept_files import KeptFilesMixin
from .report_fields import (
    ConcernsField,
    EarlierReportsField,
    MultipleFileField,
    MultipleFileInput,
    UnrequiredDateTimeInput,
    bootstrap_classes,
    posted_list,
)
from .report_layout import ReportFormLayout

# A phone's clock may run a little ahead of the server's: a time this far "in the future" is still now.
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1)  # naive: localised to the production's zone when compared
SAVED_AT_INVALID = _(
    "The time this report was saved on the phone is not a time. Check the phone's clock and send again."
)
ACCEPTED_TYPES = "image/jpeg,image/png,image/webp,application/pdf"
KEPT_FIELD = "kept_attachments"
SEARCH_BUTTON = "earlier_search"


def _show_department_help(membership: Membership) -> str:
    return _(
        "Only for confidential reports: handlers see “a crew member (%(department)s)”, never your name. "
        "Unticked, your department is left out of the report."
    ) % {"department": membership.get_department_display()}


class ReportForm(KeptFilesMixin, ReportFormLayout, forms.Form):
    kept_field = KEPT_FIELD

    category = forms.ChoiceField(
        label=_("What kind of concern is it?"),
        choices=Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what kind of concern this is.")},
    )
    severity = forms.ChoiceField(
        label=_("How serious is it?"),
        choices=[("", _("The category's usual severity"))]
        + [(s.value, s.label) for s in sorted(Severity, key=lambda s: -SEVERITY_ORDER[s])],
        required=False,
        help_text=_(
            "Each category has a usual severity. You can raise it, not lower it. Critical means someone "
            "must act within minutes."
        ),
    )
    title = TextField(
        label=_("In a few words"),
        max_length=200,
        help_text=_("For example: “Live round found in the prop cart”."),
        error_messages={"required": _("Give the report a short title.")},
    )
    description = TextField(
        label=_("What happened?"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say what happened.")},
    )
    occurred_at = forms.DateTimeField(
        label=_("When did it happen?"),
        # Left blank by a draft saved on the phone whose time nobody typed: it happened when it was saved.
        # Otherwise required, by clean() (the box sits in the folded "Add details", without `required`).
        required=False,
        widget=UnrequiredDateTimeInput(format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        error_messages={
            "required": _("Say when it happened (now is fine)."),
            "invalid": _("Enter a date and time, like 2025-03-14 15:30."),
        },
    )
    location = TextField(label=_("Where?"), max_length=200, required=False)
    department = forms.ChoiceField(
        label=_("Department concerned"),
        choices=[("", "—"), *Department.choices],
        required=False,
        help_text=_("Its department head is told first."),
    )
    injuries = forms.BooleanField(label=_("Someone was hurt"), required=False)
    injury_description = TextField(
        label=_("Who was hurt, and how?"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    weapon = TextField(
        label=_("Weapon"), max_length=200, required=False, help_text=_("Make, model or the prop number.")
    )
    # Required for the firearm categories (checked in clean()); a radio with no default, so nobody
    # sends a guess they did not make. "Unknown" is a real answer.
    ammunition = forms.ChoiceField(
        label=_("Ammunition"),
        choices=Ammunition.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Not sure? Choose “Unknown”."),
    )
    armorer_present = forms.NullBooleanField(
        label=_("Was the armorer there?"),
        required=False,
        widget=forms.NullBooleanSelect,
    )
    witnesses = TextField(
        label=_("Who else saw it?"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    concerns = ConcernsField(
        label=_("This concerns…"),
        help_text=_(
            "Optional: the person or role the report is about. They are not told, cannot handle it and never "
            "see your name; the level above them is told instead."
        ),
    )
    earlier_reports = EarlierReportsField(
        label=_("Earlier reports that were ignored"),
        queryset=Report.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    earlier_q = TextField(
        label=_("Find an earlier report"),
        max_length=100,
        required=False,
        help_text=_("A word of its title, or its number."),
        widget=forms.TextInput(attrs={"type": "search", "enterkeyhint": "search", "autocomplete": "off"}),
    )
    warned_whom = TextField(
        label=_("Who did you warn?"), max_length=200, required=False, help_text=_("A name or a role.")
    )
    warned_on = forms.DateField(
        label=_("When?"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date, like 2025-03-14.")},
    )
    warned_how = TextField(
        label=_("How, and what did you say?"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachments = MultipleFileField(
        label=_("Choose photos or PDFs"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPTED_TYPES}),
    )
    identity = forms.ChoiceField(
        label=_("Who may know you filed it?"),
        # "Filed by SafeTrack" is SafeTrack's own, never a person's choice.
        choices=[(value, label) for value, label in Identity.choices if value != Identity.SYSTEM],
        initial=Identity.NAMED,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how your name is handled.")},
    )
    show_department = forms.BooleanField(
        label=_("Show my department to handlers"),
        required=False,
        help_text=_("Only for confidential reports: handlers see “a crew member (Grip)”, never your name."),
    )

    # One report per key: rendered by the server (the page without JavaScript), replaced by the page's
    # script for each draft (incidents.services.filing.report_file). Junk is ignored, as if absent.
    idempotency_key = SubmissionKeyField()
    # Set by the page's script on a draft saved on the phone without signal (ISO 8601): the trail
    # records that the report was filed late, and when it was saved.
    saved_at = HiddenTextField()

    def __init__(
        self,
        *args: Any,
        production: Production,
        user: User | None = None,
        now: datetime | None = None,
        **kwargs: Any,
    ):
        self.production = production
        self.user = user if user is not None and user.is_authenticated else None
        self.now = now or timezone.now()
        initial = kwargs.setdefault("initial", {})
        local_now = timezone.localtime(self.now, production.tzinfo).replace(second=0, microsecond=0, tzinfo=None)
        initial.setdefault("occurred_at", local_now)
        super().__init__(*args, **kwargs)
        # The page's script reads when the form was made, to move a cached form's "now" to the phone's now.
        self.fields["occurred_at"].widget.attrs["data-rendered-at"] = self.now.isoformat()
        # Files: the new ones sent with this request (cleaned), and those kept from a refused one.
        self.kept_files_start()
        self.searching = self.is_bound and SEARCH_BUTTON in self.data
        self.fields["occurred_at"].help_text = _("Times are in the production's time zone (%(tz)s).") % {
            "tz": production.timezone
        }
        max_count, max_bytes = settings.ATTACHMENT_MAX_COUNT, settings.ATTACHMENT_MAX_BYTES
        self.fields["attachments"].help_text = _(
            "Up to %(count)s photos (JPEG, PNG, WebP) or PDFs, %(size)s MB each. Photos lose their location data."
        ) % {"count": max_count, "size": max_bytes // (1024 * 1024)}
        # A report saved on the phone without signal keeps its photos there, up to this much in all.
        self.fields["attachments"].widget.attrs["data-offline-max-bytes"] = str(settings.OFFLINE_DRAFT_MAX_BYTES)
        self.fields["concerns"].offer(production=production, reporter=self.user)
        if self.user is None:
            # No account: the report can only be anonymous, and there is nothing earlier to link.
            for name in ("identity", "show_department", "earlier_reports", "earlier_q"):
                del self.fields[name]
            return
        membership = next((m for m in user_memberships(self.user) if m.production_id == production.pk), None)
        if membership is not None:
            self.fields["department"].initial = membership.department
            # Lazy: only the page shows it, and a filing need not look the department's name up.
            self.fields["show_department"].help_text = lazy(_show_department_help, str)(membership)
        # Only to check the ids that were sent (the page lists its few choices itself, `earlier_choices`):
        # without any, the field needs no queryset, and a filing builds none.
        if posted_list(self.data, "earlier_reports"):
            self.fields["earlier_reports"].queryset = self.earlier_linkable()

    @property
    def owner(self) -> str:
        """Who may use the files kept for this form: the logged-in user, or (anonymous) the production."""
        return f"user:{self.user.pk}" if self.user is not None else f"production:{self.production.pk}"

    def earlier_linkable(self) -> QuerySet[Report]:
        if self.user is None:
            return Report.objects.none()
        return access.reports_visible_to(self.user).filter(production=self.production)

    # --- validation --------------------------------------------------------------------------------

    def full_clean(self) -> None:
        # Dates and times typed in the form are in the production's time zone, whatever the browser's.
        with timezone.override(self.production.tzinfo):
            super().full_clean()
        if self.searching:
            # A search for an earlier report, not a submission: nothing is refused, only bad files are said.
            self._errors = ErrorDict({k: v for k, v in self._errors.items() if k == "attachments"})

    def clean_occurred_at(self) -> datetime | None:
        value: datetime | None = self.cleaned_data.get("occurred_at")
        if value is None:
            return None
        if value > self.now + CLOCK_SKEW:
            raise ValidationError(
                _("That is in the future. Enter when it happened (times are in %(tz)s).")
                % {"tz": self.production.timezone},
                code="future",
            )
        if value < timezone.make_aware(EARLIEST, self.production.tzinfo):
            raise ValidationError(_("Check the year: that is too long ago."), code="too_old")
        return value

    def clean_saved_at(self) -> datetime | None:
        """When an offline draft was saved: not ahead of the server's clock, not absurdly old."""
        raw = (self.cleaned_data.get("saved_at") or "").strip()
        if not raw:
            return None
        try:
            value = parse_datetime(raw)
        except ValueError:
            value = None
        if value is None:
            self.add_error(None, ValidationError(SAVED_AT_INVALID, code="saved_at_invalid"))
            return None
        if timezone.is_naive(value):
            value = timezone.make_aware(value, self.production.tzinfo)
        if value > self.now + CLOCK_SKEW:
            self.add_error(
                None,
                ValidationError(
                    _(
                        "This report says it was saved on the phone in the future. "
                        "Check the phone's clock and send again."
                    ),
                    code="saved_at_future",
                ),
            )
            return None
        max_age = timedelta(days=settings.OFFLINE_DRAFT_MAX_AGE_DAYS)
        if value < self.now - max_age:
            self.add_error(
                None,
                ValidationError(
                    _(
                        "This report was saved on the phone more than %(days)s days ago, which cannot be right. "
                        "Check the phone's clock, or file it again from the form."
                    )
                    % {"days": settings.OFFLINE_DRAFT_MAX_AGE_DAYS},
                    code="saved_at_too_old",
                ),
            )
            return None
        return value

    def clean_warned_on(self) -> date | None:
        value: date | None = self.cleaned_data.get("warned_on")
        if value is not None:
            today = timezone.localdate(self.now, self.production.tzinfo)
            if value > today:
                raise ValidationError(_("That date is in the future."), code="future")
            if value < EARLIEST.date():
                raise ValidationError(_("Check the year: that is too long ago."), code="too_old")
        return value

    def clean_attachments(self) -> list[CleanUpload]:
        return self.kept_files_clean(self.cleaned_data.get("attachments") or [])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("occurred_at") is None and "occurred_at" not in self.errors:
            if data.get("saved_at") is not None:
                data["occurred_at"] = data["saved_at"]  # nobody typed a time: it happened when it was saved
            else:
                self.add_error(
                    "occurred_at",
                    ValidationError(self.fields["occurred_at"].error_messages["required"], code="required"),
                )
        category = data.get("category")
        if not category:
            return data
        floor = default_severity(category)
        severity = data.get("severity") or floor
        if SEVERITY_ORDER[severity] < SEVERITY_ORDER[floor]:
            self.add_error(
                "severity",
                ValidationError(
                    _("%(category)s reports are at least %(floor)s. You can raise the severity, not lower it.")
                    % {"category": Category(category).label, "floor": Severity(floor).label},
                    code="below_default",
                ),
            )
        else:
            data["severity"] = severity

        if is_firearm(category):
            if not data.get("ammunition") and "ammunition" not in self.errors:
                self.add_error(
                    "ammunition",
                    ValidationError(
                        _("Say what ammunition was involved; choose “Unknown” if you are not sure."),
                        code="required",
                    ),
                )
        else:
            # Hidden by the page's script for other categories; ignored here if sent anyway.
            data["weapon"], data["ammunition"], data["armorer_present"] = "", "", None

        if category == Category.IGNORED_WARNING:
            if not (data.get("earlier_reports") or data.get("warned_how") or data.get("warned_whom")):
                self.add_error(
                    "warned_how",
                    ValidationError(
                        _("Pick the earlier report that was ignored, or say who you warned and how."),
                        code="required",
                    ),
                )
        else:
            data["earlier_reports"], data["warned_whom"], data["warned_on"], data["warned_how"] = [], "", None, ""

        if not data.get("injuries"):
            data["injury_description"] = ""
        identity = data.get("identity") if self.user is not None else Identity.ANONYMOUS
        data["identity"] = identity or Identity.NAMED
        if data["identity"] == Identity.ANONYMOUS:
            self._refuse_own_earlier_reports(data)
        if data["identity"] != Identity.CONFIDENTIAL:
            data["show_department"] = False
        if data["identity"] != Identity.NAMED and not data["show_department"] and self._own_department_unchanged(data):
            # "Department concerned" starts at the reporter's own (under "Add details", often never opened):
            # kept on a confidential or anonymous report it would point at them. Their department is shown
            # only if they tick "Show my department"; the department heads of every department are told.
            data["department"] = ""
        return data

    def _own_department_unchanged(self, data: dict[str, Any]) -> bool:
        own = self.fields["department"].initial
        return bool(own) and data.get("department") == own

    def _refuse_own_earlier_reports(self, data: dict[str, Any]) -> None:
        """An anonymous report that links the reporter's own earlier report says who wrote it."""
        own = [r for r in data.get("earlier_reports") or [] if self.user is not None and r.reporter_id == self.user.pk]
        if own:
            self.add_error(
                "earlier_reports",
                ValidationError(
                    _(
                        "You filed %(reports)s under your name: linking it to an anonymous report would tell who "
                        "wrote this report. Unselect it and describe the earlier warning in words instead, or "
                        "file this report as confidential."
                    )
                    % {"reports": ", ".join(f"#{r.pk}" for r in own)},
                    code="own_report_when_anonymous",
                ),
            )

    # --- after validation --------------------------------------------------------------------------

    def draft(self) -> ReportDraft:
        data = self.cleaned_data
        return ReportDraft(
            category=data["category"],
            severity=data["severity"],
            title=data["title"],
            description=data["description"],
            occurred_at=data["occurred_at"],
            location=data.get("location", ""),
            department=data.get("department", ""),
            injuries=bool(data.get("injuries")),
            injury_description=data.get("injury_description", ""),
            weapon=data.get("weapon", ""),
            ammunition=data.get("ammunition", ""),
            armorer_present=data.get("armorer_present"),
            witnesses=data.get("witnesses", ""),
            concerns_person=(data.get("concerns") or (None, ""))[0],
            concerns_role=(data.get("concerns") or (None, ""))[1],
            identity=data["identity"],
            show_department=bool(data.get("show_department")),
            earlier_reports=list(data.get("earlier_reports") or []),
            warned_whom=data.get("warned_whom", ""),
            warned_on=data.get("warned_on"),
            warned_how=data.get("warned_how", ""),
            uploads=data.get("attachments") or [],
            idempotency_key=data.get("idempotency_key"),
            saved_at=data.get("saved_at"),
        )


bootstrap_classes(ReportForm)
