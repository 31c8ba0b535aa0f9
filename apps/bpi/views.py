"""The BPI API: projects, their status flow, progress updates and milestones. Every rule (who
edits, who approves, the flow, the dates) is the services'; these views only read and call."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from cxoffice.api.permissions import CanViewModel

from . import selectors, services
from .filters import ProjectFilter
from .models import Milestone, Project, Update
from .serializers import (
    MilestoneSerializer,
    ProjectSerializer,
    ProjectTransitionSerializer,
    UpdateSerializer,
)


class ProjectViewSet(viewsets.ModelViewSet):
    """BPI projects (SPEC §8). Everyone with access reads all; owners change their own (others
    get 403); the status moves only through ``transition/``. A non-administrator creates
    projects with themselves as the owner."""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    search_fields = ["code", "title"]
    ordering_fields = ["code", "title", "priority", "status", "start_date", "due_date",
                       "progress", "id"]  # fmt: skip
    ordering = ["due_date", "code"]

    def get_queryset(self):
        return selectors.project_list()

    def get_permissions(self):
        if self.action == "transition":
            return [CanViewModel()]  # the service decides: owner, sponsor or administrator
        return super().get_permissions()

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        selectors.attach_current_values(page if page is not None else queryset)
        return page

    def _respond(self, project: Project, code: int = status.HTTP_200_OK) -> Response:
        project = selectors.project_list().get(pk=project.pk)
        selectors.attach_current_values([project])
        return Response(self.get_serializer(project).data, status=code)

    def retrieve(self, request, *args, **kwargs):
        return self._respond(self.get_object())

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        project = services.project_create(
            user=request.user,
            departments=data.pop("departments", None),
            kpi_links=data.pop("kpi_links", None),
            **data,
        )
        return self._respond(project, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        project = self.get_object()
        serializer = self.get_serializer(project, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        project = services.project_update(
            user=request.user,
            project=project,
            departments=data.pop("departments", None),
            kpi_links=data.pop("kpi_links", None),
            data=data,
        )
        return self._respond(project)

    def perform_destroy(self, instance):
        services.project_delete(user=self.request.user, project=instance)

    @extend_schema(request=ProjectTransitionSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the project to ``to``: 409 naming the allowed next states on an illegal move,
        403 when the caller is not the one who makes that move."""
        serializer = ProjectTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_transition(
            user=request.user, project=self.get_object(), to=serializer.validated_data["to"]
        )
        return self._respond(project)


PROJECT_PARAMETER = OpenApiParameter(
    "project_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("BPI project id")
)


class ProjectChildMixin:
    """A list nested under ``bpi-projects/{project_pk}/``."""

    def get_project(self) -> Project:
        if not hasattr(self, "_project"):
            self._project = get_object_or_404(
                Project.objects.select_related("owner", "sponsor"), pk=self.kwargs["project_pk"]
            )
        return self._project


@extend_schema_view(list=extend_schema(parameters=[PROJECT_PARAMETER]),
                    create=extend_schema(parameters=[PROJECT_PARAMETER]))  # fmt: skip
class UpdateViewSet(
    ProjectChildMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """A project's progress updates, newest first. Posted by its owner (the author is the
    signed-in user); updates are history and are not changed."""

    serializer_class = UpdateSerializer
    ordering_fields = ["date", "id"]
    ordering = ["-date", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Update.objects.none()
        return Update.objects.filter(project=self.get_project()).select_related("author")

    def perform_create(self, serializer):
        serializer.instance = services.update_add(
            user=self.request.user, project=self.get_project(), **serializer.validated_data
        )


@extend_schema_view(
    list=extend_schema(parameters=[PROJECT_PARAMETER]),
    create=extend_schema(parameters=[PROJECT_PARAMETER]),
    retrieve=extend_schema(parameters=[PROJECT_PARAMETER]),
    update=extend_schema(parameters=[PROJECT_PARAMETER]),
    partial_update=extend_schema(parameters=[PROJECT_PARAMETER]),
    destroy=extend_schema(parameters=[PROJECT_PARAMETER]),
)
class MilestoneViewSet(ProjectChildMixin, viewsets.ModelViewSet):
    """A project's milestones, by due date; the owner adds, changes and deletes them."""

    serializer_class = MilestoneSerializer
    ordering_fields = ["due_date", "id"]
    ordering = ["due_date", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Milestone.objects.none()
        return Milestone.objects.filter(project=self.get_project()).select_related(
            "project__owner", "project__sponsor"
        )

    def perform_create(self, serializer):
        serializer.instance = services.milestone_save(
            user=self.request.user,
            milestone=Milestone(project=self.get_project()),
            data=serializer.validated_data,
        )

    def perform_update(self, serializer):
        serializer.instance = services.milestone_save(
            user=self.request.user, milestone=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.milestone_delete(user=self.request.user, milestone=instance)
