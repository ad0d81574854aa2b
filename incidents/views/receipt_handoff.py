"""Carrying a receipt code from a POST to the page after its redirect (post/redirect/get), privately.

An anonymous reporter's code may not land in a URL (access logs, history), in a log, in the server-side
session (it would sit next to the account of a member who filed anonymously) or in the database (only its
hash is kept). So it travels in a short-lived cookie signed by the server and read only by /receipt/:
HttpOnly, SameSite=Strict, limited to that path, forgotten after RECEIPT_HANDOFF_SECONDS without use or
when the reporter asks. The cookie holds the code (the reporter's own secret, on the reporter's own
device), the report it opened, what to show once (the "just filed" page, a "reply sent" line), and
nothing else.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

COOKIE = "safetrack_receipt"
SALT = "safetrack.receipt-handoff"
RECEIPT_HANDOFF_SECONDS = 15 * 60

# What the first page after the redirect shows once: the page of the form that filed the report, or a
# confirmation of what was just done on the follow-up page.
FILED_ANONYMOUS_PAGE = "filed-anonymous-page"
FILED_REPORT_FORM = "filed-report-form"
FILED_STOP_WORK = "filed-stop-work"
REPLIED = "replied"
REOPENED = "reopened"
FILED = {FILED_ANONYMOUS_PAGE, FILED_REPORT_FORM, FILED_STOP_WORK}
SHOW_ONCE = FILED | {REPLIED, REOPENED}


@dataclass(frozen=True)
class Handoff:
    code: str
    report_id: int
    show_once: str = ""


def handoff_set(response: HttpResponse, *, code: str, report_id: int, show_once: str = "") -> HttpResponse:
    """Hand the code to the follow-up page (every use restarts its short life)."""
    value = signing.dumps({"c": code, "r": report_id, "s": show_once}, salt=SALT, compress=True)
    response.set_cookie(
        COOKIE,
        value,
        max_age=RECEIPT_HANDOFF_SECONDS,
        path=reverse("receipt"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


def handoff_redirect(*, code: str, report_id: int, show_once: str = "") -> HttpResponse:
    """The answer to a POST that filed or followed up an anonymous report: see /receipt/ (303), code in hand."""
    response = HttpResponseRedirect(reverse("receipt"), status=303)
    add_never_cache_headers(response)
    return handoff_set(response, code=code, report_id=report_id, show_once=show_once)


def handoff_get(request: HttpRequest) -> Handoff | None:
    """The code handed over, or None if there is none, it was tampered with, or its time is up."""
    raw = request.COOKIES.get(COOKIE)
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=SALT, max_age=RECEIPT_HANDOFF_SECONDS)
        code, report_id, show_once = str(data["c"]), int(data["r"]), str(data.get("s", ""))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return Handoff(code=code, report_id=report_id, show_once=show_once if show_once in SHOW_ONCE else "")


def handoff_forget(response: HttpResponse) -> HttpResponse:
    response.delete_cookie(COOKIE, path=reverse("receipt"), samesite="Strict")
    return response
