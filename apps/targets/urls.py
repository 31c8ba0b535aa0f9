from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ScorecardView, TargetViewSet

router = SimpleRouter()
router.register("targets", TargetViewSet, basename="target")

urlpatterns = [path("scorecards/", ScorecardView.as_view(), name="scorecard")]
