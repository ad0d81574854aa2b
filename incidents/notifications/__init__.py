"""Delivery channels, one module each. Each `send` raises `DeliveryError` (or any exception) on failure."""


class DeliveryError(Exception):
    pass
