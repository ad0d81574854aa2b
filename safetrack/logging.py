import logging


class DropRequestFilter(logging.Filter):
    """Remove the request object (client address, user agent, cookies) from log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            record.request = None
        return True
