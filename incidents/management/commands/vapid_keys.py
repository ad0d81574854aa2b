"""`manage.py vapid_keys`: a new VAPID key pair for Web Push. Put the private key in VAPID_PRIVATE_KEY
(a secret, like SECRET_KEY); the public key is derived from it and sent to the browsers. Changing the key
later makes every phone's subscription stop working until it turns push on again."""

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Command(BaseCommand):
    help = "Print a new VAPID key pair for Web Push (VAPID_PRIVATE_KEY; the public key is derived from it)."

    def handle(self, *args: Any, **options: Any) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        private = _b64url(key.private_numbers().private_value.to_bytes(32, "big"))
        public = _b64url(
            key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
        self.stdout.write(f"# public key (derived from it; the account page sends it to browsers): {public}")
