from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Membership, Production, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "language", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "language"]
    search_fields = ["email", "full_name"]
    date_hierarchy = "date_joined"
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "language"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "department", "joined_at"]
    readonly_fields = ["joined_at"]


@admin.register(Production)
class ProductionAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "timezone", "join_code", "created_at"]
    list_filter = ["status", "timezone"]
    search_fields = ["name", "join_code"]
    inlines = [MembershipInline]
    filter_horizontal = ["admins"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "production", "role", "department", "joined_at"]
    list_filter = ["role", "department", "production"]
    search_fields = ["user__email", "user__full_name", "production__name"]
    autocomplete_fields = ["user", "production"]
    list_select_related = ["user", "production"]
