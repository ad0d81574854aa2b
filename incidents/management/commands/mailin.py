"""`manage.py mailin`: the SMTP server that turns mail to a production's reporting address into a report
(incidents.mailin_server says what it accepts and refuses). Stops on SIGTERM or Ctrl-C."""

import logging
import signal
import threading
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incidents.mailin_server import MailinHandler


class Command(BaseCommand):
    help = "Receive reports by email (SMTP) for report+<join code>@MAILIN_DOMAIN."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=None, help="address to listen on (default MAILIN_HOST)")
        parser.add_argument("--port", type=int, default=None, help="port to listen on (default MAILIN_PORT)")

    def handle(self, *args: Any, **options: Any) -> None:
        domain = settings.MAILIN_DOMAIN
        if not domain:
            raise CommandError("Set MAILIN_DOMAIN (the domain of the reporting addresses) to receive reports by email.")
        host = options["host"] or settings.MAILIN_HOST
        port = options["port"] or settings.MAILIN_PORT
        # aiosmtpd logs every sender and peer address at INFO: an anonymous reporter's address must not
        # be written anywhere, so it says only what went wrong.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        handler = MailinHandler()
        controller = Controller(
            handler,
            hostname=host,
            port=port,
            server_hostname=domain,
            data_size_limit=settings.MAILIN_MAX_BYTES,
            ident="SafeTrack mailin",
        )
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        signal.signal(signal.SIGINT, lambda *_: stopped.set())
        controller.start()
        self.stdout.write(f"mailin listening on {host}:{port} for report+<join code>@{domain}", ending="\n")
        self.stdout.flush()
        try:
            stopped.wait()
        finally:
            controller.stop()
            handler.close()
