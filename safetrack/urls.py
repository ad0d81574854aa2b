from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("SafeTrack administration")
admin.site.site_title = _("SafeTrack admin")
admin.site.index_title = _("Productions, people, reports and escalation")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.urls")),
    path("", include("incidents.urls")),
]
