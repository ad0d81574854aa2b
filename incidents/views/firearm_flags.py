"""Confirm or clear a report's "possible firearm concern" (POST only, from the report page)."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents.forms.firearm_flag import FirearmFlagForm
from incidents.models import FirearmFlag
from incidents.selectors.followup import firearm_flag_of
from incidents.services.firearm_flags import firearm_flag_clear, firearm_flag_confirm

from .report_live import report_for_page
from .reports import report_page


def _decide(request: HttpRequest, report_id: int, decide: Callable[..., FirearmFlag], done: str) -> HttpResponse:
    report = report_for_page(request.user, report_id)
    flag = firearm_flag_of(report)
    if flag is None:
        raise Http404
    form = FirearmFlagForm(request.POST)
    if form.is_valid():
        try:
            decide(flag_id=flag.pk, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error("reason" if exc.code in ("required", "too_long") else None, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, done)
            return redirect(report)
    return report_page(request, report, extra_forms={"flag_form": form}, status=200)


@login_required
@require_POST
def confirm(request: HttpRequest, report_id: int) -> HttpResponse:
    return _decide(
        request, report_id, firearm_flag_confirm, _("Confirmed: this report now counts as a firearm report.")
    )


@login_required
@require_POST
def clear(request: HttpRequest, report_id: int) -> HttpResponse:
    return _decide(request, report_id, firearm_flag_clear, _("Cleared: not a firearm concern."))
