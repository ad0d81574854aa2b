"""What the report page shows about a report's follow-up (its firearm flag, corrective actions and
investigation), with the forms the viewer may use; the action views pass their bound forms back in."""

from typing import Any

from django.forms import Form
from django.http import HttpRequest

from incidents import access
from incidents.forms.firearm_flag import FirearmFlagForm
from incidents.models import FirearmFlag, Report
from incidents.selectors.followup import firearm_flag_of


def followup_context(request: HttpRequest, report: Report, forms: dict[str, Form] | None = None) -> dict[str, Any]:
    forms = forms or {}
    user = request.user
    is_handler = access.is_report_handler(user, report)
    flag = firearm_flag_of(report) if is_handler else None
    return {
        "firearm_flag": flag,
        "can_decide_flag": flag is not None
        and flag.status == FirearmFlag.Status.FLAGGED
        and access.can_decide_firearm_flag(user, report),
        "flag_form": forms.get("flag_form") or FirearmFlagForm(),
    }
