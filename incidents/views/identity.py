"""Revealing a confidential reporter's name (the safety coordinator or an admin, with a reason)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from incidents import access
from incidents.forms.identity import RevealForm
from incidents.models import Identity, Report
from incidents.services.identity import identity_reveal


@login_required
@require_http_methods(["GET", "POST"])
def reveal(request: HttpRequest, report_id: int) -> HttpResponse:
    report = access.report_for_viewer(request.user, report_id, queryset=Report.objects.select_related("production"))
    if report.identity != Identity.CONFIDENTIAL or not access.can_reveal_identity(request.user, report):
        raise PermissionDenied(_("Only the production's safety coordinator or an admin can reveal a name."))
    form = RevealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            identity_reveal(report_id=report.pk, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error("reason", exc)
        else:
            messages.warning(request, _("The reporter's name is now shown to handlers, and the reporter was told."))
            return redirect(report.get_absolute_url())
    return render(request, "incidents/reveal_form.html", {"report": report, "form": form})
