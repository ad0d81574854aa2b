"""A Web Push service for tests, run as its own process on 127.0.0.1 (python -m tests.push_service).

It does what a browser's push service and the browser do with a message: checks the VAPID signature
(RFC 8292: an ES256 JWT signed by the key in `k`, for this service's origin, not expired) against the
application server key it was given, then decrypts the payload (RFC 8291, aes128gcm) with the
subscription's private key and auth secret, read from --keys (a JSON file the test writes: subscription
id -> {"private_key": base64url, "auth": base64url}). Every request is logged to --folder as one JSON
file: the subscription, the answer, the decrypted payload or why it was refused.

Paths: /push/<id> accepts (201), /gone/<id> answers 410 (the subscription expired), /refuse/<id>
answers 503 (a service that is down).
"""

import argparse
import base64
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def vapid_problem(header: str, *, origin: str, expected_key: str) -> str | None:
    """Why the Authorization header is not a valid VAPID signature for this service, or None."""
    if not header.lower().startswith("vapid "):
        return "no vapid authorization"
    params = dict(part.strip().split("=", 1) for part in header[6:].split(",") if "=" in part)
    token, key = params.get("t", ""), params.get("k", "")
    if key != expected_key:
        return "signed with another application server key"
    try:
        head, body, signature = token.split(".")
        raw = b64decode(signature)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64decode(key))
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public.verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
        claims = json.loads(b64decode(body))
    except (ValueError, InvalidSignature):
        return "bad signature"
    if json.loads(b64decode(head)).get("alg") != "ES256":
        return "not ES256"
    if claims.get("aud") != origin:
        return f"audience {claims.get('aud')!r} is not {origin!r}"
    if not (time.time() < claims.get("exp", 0) <= time.time() + 24 * 3600):
        return "expired or too far ahead"
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        return "no contact (sub)"
    return None


def make_handler(folder: Path, keys_file: Path, expected_key: str, port: int) -> type[BaseHTTPRequestHandler]:
    origin = f"http://127.0.0.1:{port}"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def _record(self, entry: dict) -> None:
            name = f"{time.time_ns()}.json"
            (folder / name).write_text(json.dumps(entry))

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            kind, _, subscription = self.path.strip("/").partition("/")
            entry: dict = {
                "subscription": subscription,
                "kind": kind,
                "urgency": self.headers.get("Urgency"),
                "ttl": self.headers.get("TTL"),
            }
            problem = vapid_problem(self.headers.get("Authorization", ""), origin=origin, expected_key=expected_key)
            if problem:
                status, entry["problem"] = 401, problem
            elif kind == "gone":
                status = 410
            elif kind == "refuse":
                status = 503
            else:
                keys = json.loads(keys_file.read_text()).get(subscription)
                if keys is None:
                    status, entry["problem"] = 404, "unknown subscription"
                else:
                    private = ec.derive_private_key(
                        int.from_bytes(b64decode(keys["private_key"]), "big"), ec.SECP256R1()
                    )
                    try:
                        plain = http_ece.decrypt(
                            body, private_key=private, auth_secret=b64decode(keys["auth"]), version="aes128gcm"
                        )
                        entry["payload"] = json.loads(plain)
                        status = 201
                    except Exception as exc:  # recorded for the test to show
                        status, entry["problem"] = 400, f"cannot decrypt: {exc!r}"
            entry["status"] = status
            self._record(entry)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--keys", type=Path, required=True)
    parser.add_argument("--vapid-public-key", required=True)
    options = parser.parse_args()
    options.folder.mkdir(parents=True, exist_ok=True)
    handler = make_handler(options.folder, options.keys, options.vapid_public_key, options.port)
    ThreadingHTTPServer(("127.0.0.1", options.port), handler).serve_forever()


if __name__ == "__main__":
    main()
