from rest_framework.routers import SimpleRouter

from .views import AdjustmentViewSet, EnrollmentViewSet, MyStatementViewSet, PlanViewSet, RunViewSet

router = SimpleRouter()
router.register("bonus-plans", PlanViewSet, basename="bonus-plan")
router.register("bonus-enrollments", EnrollmentViewSet, basename="bonus-enrollment")
router.register("bonus-runs", RunViewSet, basename="bonus-run")
router.register("bonus-adjustments", AdjustmentViewSet, basename="bonus-adjustment")
router.register("me/bonus-statements", MyStatementViewSet, basename="my-bonus-statement")
