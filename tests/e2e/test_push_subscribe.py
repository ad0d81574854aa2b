"""Turning push on from the account page in headless Chromium on a phone: the permission is asked only on
the tap, the browser subscribes with the server's VAPID key, and the subscription is saved and listed.

Headless Chromium has no push service to register with (Chrome's is Google's, over the network), so
`PushManager.prototype.subscribe` answers with a subscription made here (real P-256 keys, an FCM address);
everything else is the page's own script, the service worker and the server."""

import base64
import json
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from playwright.sync_api import Playwright, expect

from accounts.models import User
from incidents.models import PushSubscription
from incidents.notifications.push import vapid_public_key
from tests.e2e.conftest import CHROMIUM_ARGS, PHONE, chromium_path
from tests.live import wait_until

# What the page asked for is kept in sessionStorage: the page reloads once the subscription is saved.
SUBSCRIBE_STUB = """
(() => {
  const ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = (...args) => {
    sessionStorage.setItem("asked", String(Number(sessionStorage.getItem("asked") || 0) + 1));
    return ask(...args);
  };
  if (!window.PushManager) { return; }
  PushManager.prototype.subscribe = function (options) {
    sessionStorage.setItem("subscribedWith", JSON.stringify({
      userVisibleOnly: options.userVisibleOnly,
      key: btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)))
        .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, ""),
    }));
    const json = %s;
    return Promise.resolve({ endpoint: json.endpoint, toJSON: () => json });
  };
})();
"""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_handler_turns_push_on_from_the_account_page_and_the_phone_is_listed(
    crew: User, playwright_instance: Playwright, live_server: Any, tmp_path: Path, settings: Any
):
    key = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PRIVATE_KEY = _b64(key.private_numbers().private_value.to_bytes(32, "big"))
    browser_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    subscription = {
        "endpoint": f"https://fcm.googleapis.com/fcm/send/e2e-{secrets.token_hex(8)}",
        "keys": {
            "p256dh": _b64(
                browser_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
            ),
            "auth": _b64(secrets.token_bytes(16)),
        },
    }
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=chromium_path(),
        headless=True,
        args=CHROMIUM_ARGS,
        base_url=live_server.url,
        viewport=PHONE,
        has_touch=True,
    )
    try:
        context.grant_permissions(["notifications"], origin=live_server.url)
        context.add_init_script(SUBSCRIBE_STUB % json.dumps(subscription))
        client = Client()
        client.force_login(crew)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
        page = context.new_page()
        page.goto("/account/")
        button = page.get_by_role("button", name="Turn on push notifications on this phone")
        expect(button).to_be_visible()
        assert page.evaluate("() => sessionStorage.getItem('asked')") is None  # nothing asked before the tap
        button.tap()
        wait_until(
            lambda: PushSubscription.objects.filter(user=crew).exists(), timeout=15, message="the subscription saved"
        )
        saved = PushSubscription.objects.get(user=crew)
        assert saved.endpoint == subscription["endpoint"]
        assert (saved.p256dh, saved.auth) == (subscription["keys"]["p256dh"], subscription["keys"]["auth"])
        page.wait_for_load_state()
        expect(page.get_by_role("button", name="Turn off")).to_be_visible()
        assert page.evaluate("() => sessionStorage.getItem('asked')") == "1"
        asked_with = json.loads(page.evaluate("() => sessionStorage.getItem('subscribedWith')"))
        assert asked_with == {"userVisibleOnly": True, "key": vapid_public_key()}
    finally:
        context.close()
