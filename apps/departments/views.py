from rest_framework import viewsets

from . import selectors, services
from .filters import AssignmentFilter, DepartmentFilter, EmployeeFilter
from .serializers import AssignmentSerializer, DepartmentSerializer, EmployeeSerializer


class DepartmentViewSet(viewsets.ModelViewSet):
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "id"]
    ordering = ["code"]

    def get_queryset(self):
        return selectors.department_list()

    def perform_create(self, serializer):
        serializer.instance = services.department_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.department_update(
            department=serializer.instance, data=serializer.validated_data
        )


class EmployeeViewSet(viewsets.ModelViewSet):
    serializer_class = EmployeeSerializer
    filterset_class = EmployeeFilter
    search_fields = ["employee_number", "full_name", "email", "title"]
    ordering_fields = ["employee_number", "full_name", "hire_date", "id"]
    ordering = ["employee_number"]

    def get_queryset(self):
        return selectors.employee_list()

    def _annotated(self, employee):
        return selectors.employee_list().get(pk=employee.pk)

    def perform_create(self, serializer):
        employee = services.employee_create(**serializer.validated_data)
        serializer.instance = self._annotated(employee)

    def perform_update(self, serializer):
        employee = services.employee_update(
            employee=serializer.instance, data=serializer.validated_data
        )
        serializer.instance = self._annotated(employee)


class AssignmentViewSet(viewsets.ModelViewSet):
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    ordering_fields = ["start_date", "end_date", "id"]
    ordering = ["employee__employee_number", "start_date"]

    def get_queryset(self):
        return selectors.assignment_list()

    def perform_create(self, serializer):
        serializer.instance = services.assignment_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.assignment_update(
            assignment=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.assignment_delete(assignment=instance)
