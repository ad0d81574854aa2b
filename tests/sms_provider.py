"""A fake SMS provider for tests, run as its own process on 127.0.0.1 (python -m tests.sms_provider).

It answers Twilio's "create a message" call as Twilio does:

    POST /<mode>/2010-04-01/Accounts/<sid>/Messages.json   (basic auth: account SID and auth token)
         form fields To, From, Body  ->  201 {"sid": "SM...", "status": "queued", ...}

The first path segment is part of the base URL the app is given (SMS_PROVIDER_URL) and says how to
behave: `ok` accepts, `down` answers 503, `refuse` answers 400 with Twilio's error 21211 (an invalid
number), and `switch` behaves as the word in the --state file says (a test brings the provider back up).
A wrong SID or token gets 401 (error 20003). Every request is logged to --folder as one JSON file.

`twilio_signature` signs a reply as the provider does (X-Twilio-Signature), written here on its own from
Twilio's documentation, so the app's check is held against an independent implementation.
"""

import argparse
import base64
import hashlib
import hmac
import json
import secrets
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs


def twilio_signature(url: str, params: dict[str, str], auth_token: str) -> str:
    """Base64 of HMAC-SHA1(auth token, the full URL + each POST parameter's name and value, by name)."""
    data = url
    for name in sorted(params):
        data += name + params[name]
    return base64.b64encode(hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()).decode()


def make_handler(folder: Path, state: Path, sid: str, token: str) -> type[BaseHTTPRequestHandler]:
    expected_auth = "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            fields = {name: values[0] for name, values in parse_qs(raw, keep_blank_values=True).items()}
            mode, _, rest = self.path.strip("/").partition("/")
            if mode == "switch":
                mode = state.read_text().strip() if state.exists() else "ok"
            entry = {"mode": mode, "path": rest, "to": fields.get("To"), "from": fields.get("From")}
            entry["body"] = fields.get("Body")
            if self.headers.get("Authorization") != expected_auth:
                status, answer = 401, {"code": 20003, "message": "Authenticate", "status": 401}
            elif rest != f"2010-04-01/Accounts/{sid}/Messages.json":
                status, answer = 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
            elif mode == "down":
                status, answer = 503, {"code": 20500, "message": "Service unavailable", "status": 503}
            elif mode == "refuse":
                status, answer = 400, {"code": 21211, "message": "The 'To' number is not a valid phone number."}
            elif not (fields.get("To") and fields.get("From") and fields.get("Body")):
                status, answer = (
                    400,
                    {"code": 21604, "message": "A 'To', 'From' and 'Body' are required.", "status": 400},
                )
            else:
                status = 201
                answer = {"sid": "SM" + secrets.token_hex(16), "status": "queued", "to": fields["To"]}
            entry["status"] = status
            (folder / f"{time.time_ns()}.json").write_text(json.dumps(entry))
            self._answer(status, answer)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--sid", required=True)
    parser.add_argument("--token", required=True)
    options = parser.parse_args()
    options.folder.mkdir(parents=True, exist_ok=True)
    handler = make_handler(options.folder, options.state, options.sid, options.token)
    ThreadingHTTPServer(("127.0.0.1", options.port), handler).serve_forever()


if __name__ == "__main__":
    main()
