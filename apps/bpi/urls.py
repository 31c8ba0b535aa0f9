from rest_framework.routers import SimpleRouter

from .views import MilestoneViewSet, ProjectViewSet, UpdateViewSet

router = SimpleRouter()
router.register("bpi-projects", ProjectViewSet, basename="bpi-project")
router.register(
    r"bpi-projects/(?P<project_pk>[0-9]+)/updates", UpdateViewSet, basename="bpi-project-update"
)
router.register(
    r"bpi-projects/(?P<project_pk>[0-9]+)/milestones",
    MilestoneViewSet,
    basename="bpi-project-milestone",
)
