"""What the report page shows about a report's follow-up (its firearm flag, corrective actions and
investigation), with the forms the viewer may use; the action views pass their bound forms back in."""

from typing import Any

from django.forms import Form
from django.http import HttpRequest

from incidents import access
from incidents.forms.actions import action_formset
from incidents.forms.firearm_flag import FirearmFlagForm
from incidents.ladder import ladder_for
from incidents.models import ActionStatus, FirearmFlag, Report
from incidents.selectors.followup import action_owner_choices, actions_of, firearm_flag_of


def followup_context(request: HttpRequest, report: Report, forms: dict[str, Form] | None = None) -> dict[str, Any]:
    forms = forms or {}
    user = request.user
    is_handler = access.is_report_handler(user, report)
    flag = firearm_flag_of(report) if is_handler else None
    actions = actions_of(report)
    formset = forms.get("action_formset")
    if formset is None and access.can_plan_actions(user, report, ladder_for(report.production)):
        formset = action_formset(owners=action_owner_choices(report.production_id))
    return {
        "firearm_flag": flag,
        "can_decide_flag": flag is not None
        and flag.status == FirearmFlag.Status.FLAGGED
        and access.can_decide_firearm_flag(user, report),
        "flag_form": forms.get("flag_form") or FirearmFlagForm(),
        "corrective_actions": actions,
        "actions_verified": sum(a.status == ActionStatus.VERIFIED for a in actions),
        "action_formset": formset,
    }
