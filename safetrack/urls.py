from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts import views as account_views

admin.site.site_header = _("SafeTrack administration")
admin.site.site_title = _("SafeTrack admin")
admin.site.index_title = _("Productions, people, reports and escalation")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/setlang/", account_views.language_set, name="set_language"),
    path("", include("accounts.urls")),
    path("", include("incidents.urls")),
]

# Error pages in the site's layout (incidents/views/errors.py); 400 and 500 are the templates 400.html
# and 500.html, rendered by Django without a request.
handler403 = "incidents.views.errors.permission_denied"
handler404 = "incidents.views.errors.page_not_found"
