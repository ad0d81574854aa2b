"""Small helpers for the admin tests: counting a page's queries, and re-posting a change form as shown."""

from datetime import timedelta
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.duration import duration_string

from incidents.models import Notification


def count_queries(client: Any, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return len(ctx.captured_queries), response


def fail_notification(notification: Notification, error: str = "SMTPConnectError: relay down") -> None:
    """What delivery leaves behind after its last attempt (the test stands in for the mail server)."""
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.FAILED, attempts=5, last_error=error
    )


def form_data(response: Any) -> dict[str, Any]:
    """The POST data of an admin change form exactly as the page shows it (main form and every inline)."""
    data: dict[str, Any] = {"_save": "Save"}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, timedelta):
                data[key] = duration_string(value)
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = str(value)
    return data
