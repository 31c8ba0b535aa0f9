from rest_framework.routers import SimpleRouter

from .views import CategoryViewSet, FeedbackViewSet

router = SimpleRouter()
router.register("feedback", FeedbackViewSet, basename="feedback")
router.register("feedback-categories", CategoryViewSet, basename="feedback-category")
