from rest_framework.routers import SimpleRouter

from .views import ReviewActionViewSet, WeeklyReviewViewSet

router = SimpleRouter()
router.register("weekly-reviews", WeeklyReviewViewSet, basename="weekly-review")
router.register("review-actions", ReviewActionViewSet, basename="review-action")
