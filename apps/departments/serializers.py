from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cxoffice.api.fields import CodeRelatedField

from .models import Assignment, Department, Employee
from .roles import user_can_see_salaries


class DepartmentSerializer(serializers.ModelSerializer):
    parent = CodeRelatedField(
        slug_field="code", queryset=Department.objects.all(), allow_null=True, required=False
    )
    head = CodeRelatedField(
        slug_field="employee_number",
        queryset=Employee.objects.all(),
        allow_null=True,
        required=False,
    )

    class Meta:
        model = Department
        fields = ["id", "code", "name", "parent", "head", "is_active"]


class EmployeeSerializer(serializers.ModelSerializer):
    username = CodeRelatedField(
        source="user",
        slug_field="username",
        queryset=get_user_model().objects.all(),
        allow_null=True,
        required=False,
        help_text=_("The login user linked to this employee."),
    )
    department = serializers.CharField(
        source="current_department_code",
        read_only=True,
        allow_null=True,
        help_text=_("Code of the department of today's assignment (derived from assignments)."),
    )

    class Meta:
        model = Employee
        fields = [
            "id",
            "employee_number",
            "full_name",
            "email",
            "username",
            "title",
            "department",
            "hire_date",
            "leave_date",
            "is_executive",
            "base_salary",
        ]
        extra_kwargs = {
            "base_salary": {
                "help_text": _("HR only: for other roles the field is left out and not writable.")
            }
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # Salaries exist for HR only: for anyone else the field is neither shown nor writable.
        # The schema documents it (drf-spectacular's fake view), saying who gets it.
        if getattr(self.context.get("view"), "swagger_fake_view", False):
            return
        if request is None or not user_can_see_salaries(request.user):
            self.fields.pop("base_salary")


class AssignmentSerializer(serializers.ModelSerializer):
    employee = CodeRelatedField(slug_field="employee_number", queryset=Employee.objects.all())
    department = CodeRelatedField(slug_field="code", queryset=Department.objects.all())

    class Meta:
        model = Assignment
        fields = ["id", "employee", "department", "start_date", "end_date"]
        # Overlaps and date order are the service's rules, not the serializer's.
        validators: list = []
