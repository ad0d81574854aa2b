"""Reads that matter, with their joins decided once: one module per page or purpose.

Selectors read and never write; they may use access, the ladder and the models, never a service."""
