"""Shapes of the BPI API (SPEC §16). People and places are written and read as codes (owner and
sponsor by employee number, departments and KPIs by code; integers are taken as ids)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.departments.models import Department, Employee
from apps.kpis.models import KPI
from cxoffice.api.fields import CodeRelatedField, PlainDecimalField
from cxoffice.numbers import plain

from . import services
from .models import KPILink, Milestone, Priority, Project, Status, Update


# Named enum components of their own in the OpenAPI schema: "status" and low…critical name
# other choice sets elsewhere in the API, and derived names would collide.
@extend_schema_field({"type": "string", "enum": Status.values}, component_name="BPIStatusEnum")
class StatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Status.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": Priority.values}, component_name="BPIPriorityEnum")
class PriorityField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Priority.choices, **kwargs)


class ImpactSerializer(serializers.Serializer):
    status = serializers.CharField()
    improvement = PlainDecimalField(allow_null=True)
    gap_closed_percent = PlainDecimalField(allow_null=True)


class KPILinkSerializer(serializers.ModelSerializer):
    """A link naming no ``department`` measures the project's department when it has exactly
    one, else the company. ``baseline`` (when defaulted) and ``current`` are values read like
    any other — ``*_basis``: ``explicit``, ``rolled_up`` or ``children`` (empty for a baseline
    given by hand, ``none`` for no current value) — for ``*_period``. ``impact`` is measured once
    the project is completed (null before)."""

    kpi = CodeRelatedField(slug_field="code", queryset=KPI.objects.all())
    department = CodeRelatedField(
        slug_field="code", queryset=Department.objects.all(), allow_null=True, required=False
    )
    baseline = PlainDecimalField(allow_null=True, required=False)
    goal = PlainDecimalField()
    current = serializers.SerializerMethodField()
    current_period = serializers.SerializerMethodField()
    current_basis = serializers.SerializerMethodField()
    impact = serializers.SerializerMethodField()

    class Meta:
        model = KPILink
        fields = ["kpi", "department", "baseline", "baseline_period", "baseline_basis", "goal",
                  "current", "current_period", "current_basis", "impact"]  # fmt: skip
        read_only_fields = ["baseline_period", "baseline_basis"]
        validators: list = []

    @extend_schema_field(PlainDecimalField(allow_null=True))
    def get_current(self, link) -> str | None:
        current = getattr(link, "current", None)
        return None if current is None else plain(current)

    def get_current_period(self, link) -> str:
        return getattr(link, "current_period", "")

    def get_current_basis(self, link) -> str:
        return getattr(link, "current_basis", "none")

    @extend_schema_field(ImpactSerializer(allow_null=True))
    def get_impact(self, link):
        impact = getattr(link, "impact", None)
        return None if impact is None else ImpactSerializer(impact).data


class ProjectSerializer(serializers.ModelSerializer):
    """``kpi_links`` given in a write replaces the project's list (a link of the same KPI and
    department keeps its defaulted baseline); ``allowed_transitions`` are the moves the caller
    may make now; ``progress_percent`` is the latest update's."""

    owner = CodeRelatedField(
        slug_field="employee_number", queryset=Employee.objects.all(), required=False
    )
    sponsor = CodeRelatedField(
        slug_field="employee_number", queryset=Employee.objects.all(), allow_null=True,
        required=False,
    )  # fmt: skip
    departments = CodeRelatedField(
        slug_field="code", queryset=Department.objects.all(), many=True, required=False
    )
    priority = PriorityField(required=False)
    status = StatusField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    progress_percent = serializers.IntegerField(
        source="progress", read_only=True, default=None, allow_null=True
    )
    kpi_links = KPILinkSerializer(many=True, required=False)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = ["id", "code", "title", "problem", "root_cause", "owner", "sponsor",
                  "departments", "priority", "status", "start_date", "due_date", "completed_on",
                  "is_overdue", "progress_percent", "kpi_links", "allowed_transitions"]  # fmt: skip
        read_only_fields = ["status", "completed_on"]

    def get_allowed_transitions(self, project) -> list[str]:
        request = self.context.get("request")
        return services.user_transitions(getattr(request, "user", None), project)


class ProjectTransitionSerializer(serializers.Serializer):
    to = StatusField()


class UpdateSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    date = serializers.DateField(required=False)

    class Meta:
        model = Update
        fields = ["id", "date", "progress_percent", "note", "author", "created_at"]
        read_only_fields = ["created_at"]


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "title", "due_date", "done_on"]
