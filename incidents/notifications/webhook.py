"""Slack-compatible incoming webhooks: a JSON `text` (plus blocks), a short timeout, no redirects."""

import requests
from django.conf import settings

from incidents.models import Notification

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
    try:
        response = requests.post(
            url, json=payload_for(notification), timeout=settings.WEBHOOK_TIMEOUT_SECONDS, allow_redirects=False
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"webhook unreachable: {exc.__class__.__name__}") from exc
    if response.status_code >= 300:
        raise DeliveryError(f"webhook answered HTTP {response.status_code}")
