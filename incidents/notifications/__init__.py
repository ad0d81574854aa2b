"""Delivery channels, one module each. Each `send` raises `DeliveryError` (or any exception) on failure."""


class DeliveryError(Exception):
    """The send failed; it is tried again later (with backoff), then the row is marked failed."""


class DeliveryRefused(DeliveryError):
    """The send cannot succeed by trying again (nobody left to send to, the channel is not set up):
    the row is marked failed at once, with this as its last error."""
