"""The REST API under /api/v1/: every app's router registrations behind one browsable root."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from apps.bonuses.urls import router as bonuses_router
from apps.bpi.urls import router as bpi_router
from apps.departments.urls import router as departments_router
from apps.feedback.urls import router as feedback_router
from apps.kpis.urls import router as kpis_router
from apps.records.urls import router as records_router
from apps.reviews.urls import router as reviews_router
from apps.service_days.urls import router as service_days_router
from apps.targets.urls import router as targets_router
from apps.targets.urls import urlpatterns as targets_urls

router = DefaultRouter()
for app_router in (
    departments_router, kpis_router, targets_router, records_router, feedback_router,
    bpi_router, service_days_router, bonuses_router, reviews_router,
):  # fmt: skip
    router.registry.extend(app_router.registry)


@extend_schema(tags=["auth"])
class TokenView(ObtainAuthToken):
    """POST username and password → ``{"token": ...}``.

    Then send ``Authorization: Token <token>`` with every request.
    """

    permission_classes = (AllowAny,)


urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    *targets_urls,
    *router.urls,
]
