from rest_framework.routers import SimpleRouter

from .views import AssignmentViewSet, DepartmentViewSet, EmployeeViewSet

router = SimpleRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("employees", EmployeeViewSet, basename="employee")
router.register("assignments", AssignmentViewSet, basename="assignment")
