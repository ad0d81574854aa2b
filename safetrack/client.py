"""The client's address, from one configured place, for login lockout (django-axes) and every rate
limit (django-ratelimit) alike.

Without a proxy it is the connection's address (REMOTE_ADDR). Behind `TRUSTED_PROXY_COUNT` proxies
(1 with `BEHIND_TLS_PROXY`), each proxy appends the address it received the request from to
X-Forwarded-For, so the client is the Nth address from the right: anything further left was written by
the client itself and is not trusted. A header with fewer addresses than proxies (a request that went
around a proxy) falls back to REMOTE_ADDR.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = _address(forwarded[-proxies])
            if address is not None:
                return address
    return _address(remote) or remote
