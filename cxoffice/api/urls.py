"""The REST API under /api/v1/: every app's router registrations behind one browsable root."""

from rest_framework.routers import DefaultRouter

from apps.accounts.urls import urlpatterns as accounts_urls
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


urlpatterns = [
    *accounts_urls,
    *targets_urls,
    *router.urls,
]
