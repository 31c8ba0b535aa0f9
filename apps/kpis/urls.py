from rest_framework.routers import SimpleRouter

from .views import KPIResultViewSet, KPIViewSet

router = SimpleRouter()
router.register("kpis", KPIViewSet, basename="kpi")
router.register("kpi-results", KPIResultViewSet, basename="kpi-result")
