"""Checks several views start with, said once."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import Promise

from accounts.services import user_memberships

View = Callable[..., HttpResponse]


def joined_first(why: str | Promise) -> Callable[[View], View]:
    """Send someone who has joined no production yet to the join page, saying `why` (filing a report and
    calling a stop-work both happen on a production)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not user_memberships(request.user):
                messages.info(request, why)
                return redirect("join_enter")
            return view(request, *args, **kwargs)

        return guarded

    return decorate
