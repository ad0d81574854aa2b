"""A real SMTP server process (run by the `smtp_sink` fixture in tests/live.py and by bench.soak).

    python -m support.smtp_sink --port 2525 --folder /tmp/mail [--refuse]

It accepts every message and writes it, as received, to `<folder>/<n>.eml`; with `--refuse` it
answers 554 to every message instead. Either way it appends one line per attempt to
`<folder>/attempts.log` (the time, the outcome and the recipients), so a test can see the retry schedule.
"""

import argparse
import signal
import threading
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder: Path, refuse: bool):
        self.folder = folder
        self.refuse = refuse
        self.count = 0
        self.lock = threading.Lock()

    def _log_attempt(self, outcome: str, recipients: list[str]) -> None:
        with (self.folder / "attempts.log").open("a") as log:
            log.write(f"{time.time():.3f} {outcome} {','.join(recipients)}\n")

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            self._log_attempt("refused", envelope.rcpt_tos)
            return "554 5.7.1 Refused by the test server"
        with self.lock:
            self.count += 1
            number = self.count
        partial = self.folder / f"{number:05d}.eml.part"
        partial.write_bytes(envelope.original_content or envelope.content)
        partial.rename(self.folder / f"{number:05d}.eml")  # readers never see half a message
        self._log_attempt("accepted", envelope.rcpt_tos)
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--refuse", action="store_true")
    options = parser.parse_args()
    options.folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(Sink(options.folder, options.refuse), hostname="127.0.0.1", port=options.port)
    controller.start()
    print(f"smtp sink listening on 127.0.0.1:{options.port}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
