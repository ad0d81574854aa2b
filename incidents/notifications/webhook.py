"""Slack-compatible incoming webhooks: a JSON `text` (plus blocks), a short timeout, no redirects.

The destination is resolved once per send and must be public (`safetrack.outbound.public_address`);
the request goes to that checked address (TLS still verifies the name), so DNS cannot answer a public
address to the check and 127.0.0.1 to the connection."""

import json
from urllib.parse import SplitResult, urlsplit

import certifi
import urllib3
from django.conf import settings

from incidents.models import Notification
from safetrack.outbound import OutboundRefused, normalised_host, public_address

from . import DeliveryError
from .message import message_for


def mrkdwn_escape(text: str) -> str:
    """Slack reads `<...>` as a link or a mention (`<!channel>`, `<https://x|Acknowledge here>`), so typed
    text must not carry one: &, < and > are escaped as Slack documents (it shows them as typed)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload_for(notification: Notification) -> dict[str, object]:
    message = message_for(notification)
    lines = [mrkdwn_escape(line) for line in message.lines]
    text = (
        f"*{mrkdwn_escape(message.headline)}*: {mrkdwn_escape(notification.report.title)}\n"
        + "\n".join(lines)
        + f"\n<{message.url}>"
    )
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def send(notification: Notification) -> None:
    url = notification.report.production.webhook_url
    if not url:
        raise DeliveryError("the production has no webhook URL")
    status = post_json_pinned(url, payload_for(notification), timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    if status >= 300:
        raise DeliveryError(f"webhook answered HTTP {status}")


def _origin(parts: SplitResult, host: str, port: int) -> str:
    return f"{parts.scheme}://{host}:{port}"


def post_json_pinned(url: str, payload: dict[str, object], *, timeout: float) -> int:
    """POST JSON to an https URL at the public address its host resolves to now; the HTTP status.

    Origins in WEBHOOK_PRIVATE_ALLOWLIST (empty unless set: the test suite's local receivers) may be
    private and plain http."""
    parts = urlsplit(url)
    host = normalised_host(parts.hostname or "")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    allowed_private = _origin(parts, host, port) in settings.WEBHOOK_PRIVATE_ALLOWLIST
    if not host or (parts.scheme != "https" and not allowed_private):
        raise DeliveryError("the webhook URL is not an https address")
    try:
        address = host if allowed_private else public_address(host, port)
    except OutboundRefused as exc:
        raise DeliveryError(f"webhook refused: {exc}") from exc
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    common = {"port": port, "timeout": urllib3.Timeout(total=timeout), "retries": False, "maxsize": 1}
    pool: urllib3.HTTPConnectionPool
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            **common,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, **common)
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=json.dumps(payload).encode(),
            headers={"Host": host if parts.port is None else f"{host}:{port}", "Content-Type": "application/json"},
            redirect=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        raise DeliveryError(f"webhook unreachable: {exc.__class__.__name__}") from exc
    finally:
        pool.close()
    return response.status
