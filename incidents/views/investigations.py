"""A report's investigation (critical and firearm reports): read by the production's handlers, written by
those who may act on the report and are not involved in it; witness statements added and downloaded."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import access
from incidents.forms.investigation import WHY_FIELDS, InvestigationForm, StatementForm
from incidents.ladder import ladder_for
from incidents.models import Report, WitnessStatement
from incidents.selectors.investigations import (
    investigation_applies,
    investigation_of,
    linked_reports_for,
    statements_of,
)
from incidents.services.investigations import investigation_save, statement_add

QUERYSET = Report.objects.select_related("production", "reporter")


def _report(request: HttpRequest, report_id: int) -> Report:
    """The report, for someone who may read its investigation; 404 if it gets none and has none."""
    report = access.report_for_investigator(request.user, report_id, QUERYSET)
    if not investigation_applies(report) and investigation_of(report) is None:
        raise Http404
    return report


def _add_errors(form: Form, exc: ValidationError) -> None:
    """The service's errors beside the field they are about (the why chain's above its first box)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        target = WHY_FIELDS[0] if field == "whys" else field if field in form.fields else None
        for error in errors:
            form.add_error(target, error)


def _page(
    request: HttpRequest,
    report: Report,
    *,
    form: InvestigationForm | None = None,
    statement_form: StatementForm | None = None,
) -> HttpResponse:
    investigation = investigation_of(report)
    can_write = access.can_investigate(request.user, report, ladder_for(report.production))
    context: dict[str, Any] = {
        "report": report,
        "production": report.production,
        "reporter_label": access.reporter_label(report, request.user),
        "investigation": investigation,
        "statements": statements_of(investigation) if investigation else [],
        "linked": linked_reports_for(investigation, request.user) if investigation else [],
        "can_write": can_write,
        "form": form or InvestigationForm.for_investigation(investigation),
        "statement_form": statement_form or StatementForm(),
    }
    with timezone.override(report.production.tzinfo):
        return render(request, "incidents/investigation/investigation_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def investigation(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    if request.method != "POST":
        return _page(request, report)
    form = InvestigationForm(request.POST)
    if form.is_valid():
        try:
            investigation_save(
                report_id=report.pk,
                user=request.user,
                draft=form.draft(),
                version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Investigation saved. The change is on the report's trail."))
            return redirect("investigation", report_id=report.pk)
    return _page(request, report, form=form)


@login_required
@require_POST
def statement_new(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    form = StatementForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            statement_add(
                report_id=report.pk,
                user=request.user,
                witness=form.cleaned_data["witness"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Statement added to the investigation."))
            return redirect(reverse("investigation", args=[report.pk]) + "#statements")
    elif form.has_error("file") and form.cleaned_data.get("witness"):
        form.add_error(
            None, _("The file was refused, so choose it again (or another one); the name you typed is kept.")
        )
    return _page(request, report, statement_form=form)


@login_required
@require_GET
def statement_download(request: HttpRequest, report_id: int, statement_id: int) -> FileResponse:
    """Only to those who may read the investigation; always a download named after the checked type."""
    statement = access.statement_for_investigator(request.user, report_id, statement_id)
    try:
        handle = statement.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    number = WitnessStatement.objects.filter(investigation_id=statement.investigation_id, pk__lte=statement.pk).count()
    response = FileResponse(
        handle, content_type=statement.content_type, as_attachment=True, filename=statement.download_name(number)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
