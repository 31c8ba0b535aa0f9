from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.bonuses.self_service import my_evidence, my_statement

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Self-service for everyone signed in (employees are not admin staff): the own statement.
    path("me/statement/", my_statement, name="my-statement"),
    path("me/statement/<int:line_id>/evidence/", my_evidence, name="my-evidence"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include("cxoffice.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "cxoffice.error_views.bad_request"
handler403 = "cxoffice.error_views.permission_denied"
handler404 = "cxoffice.error_views.page_not_found"
handler500 = "cxoffice.error_views.server_error"
