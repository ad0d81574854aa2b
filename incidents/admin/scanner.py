"""The buried-warning scanner's extra words: superusers extend the built-in English and Spanish lists
(incidents.scanner) for every production at once."""

from django.contrib import admin

from incidents.admin_scope import ProductionScopedAdmin
from incidents.models import WarningTerm


@admin.register(WarningTerm)
class WarningTermAdmin(ProductionScopedAdmin):
    production_path = None  # one list for every production: superusers only
    list_display = ["words", "language", "alone", "active", "created_at"]
    list_filter = ["language", "alone", "active"]
    search_fields = ["words"]
    fields = ["words", "language", "alone", "active"]
