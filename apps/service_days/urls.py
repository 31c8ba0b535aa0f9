from rest_framework.routers import SimpleRouter

from .views import ServiceDayViewSet

router = SimpleRouter()
router.register("service-days", ServiceDayViewSet, basename="service-day")
