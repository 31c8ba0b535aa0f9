"""Admin of the records app: read-only record lists with filters, the load history with each
load's report and progress, mappings and stage standards, the upload page and the
late-delivery tree."""

from __future__ import annotations

from celery.result import AsyncResult
from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .admin_views import late_tree_view, records_upload_view
from .models import (
    Carrier,
    LoadJob,
    LoadStatus,
    RecordMapping,
    Shipment,
    StageStandard,
    SupportTicket,
    SurveyResponse,
    Warehouse,
)

TOOLS = "admin/records/change_list_with_tools.html"


class _ReadOnlyRecordAdmin(admin.ModelAdmin):
    """Records are written only by the loader; an administrator may delete."""

    list_per_page = 100
    show_full_result_count = False  # counting millions of rows on every page is slow
    change_list_template = TOOLS  # links to the upload and the late-delivery tree

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(SurveyResponse)
class SurveyResponseAdmin(_ReadOnlyRecordAdmin):
    list_display = [
        "source_record_id",
        "survey_type",
        "scale",
        "score",
        "answered_at",
        "channel",
        "department",
        "agent",
    ]
    list_filter = ["survey_type", "scale", "source_system", "department", "answered_at"]
    search_fields = ["source_record_id", "order_ref", "customer_ref", "=agent__employee_number"]
    date_hierarchy = "answered_at"
    list_select_related = ["department", "agent"]


@admin.register(SupportTicket)
class SupportTicketAdmin(_ReadOnlyRecordAdmin):
    list_display = [
        "source_record_id",
        "opened_at",
        "first_response_at",
        "resolved_at",
        "contacts_to_resolve",
        "channel",
        "category",
        "department",
        "agent",
    ]
    list_filter = ["channel", "source_system", "department", "opened_at"]
    search_fields = ["source_record_id", "category", "=agent__employee_number"]
    date_hierarchy = "opened_at"
    list_select_related = ["department", "agent"]


@admin.register(Shipment)
class ShipmentAdmin(_ReadOnlyRecordAdmin):
    list_display = [
        "source_record_id",
        "status",
        "ordered_at",
        "promised_on",
        "delivered_on",
        "stuck_stage",
        "warehouse",
        "carrier",
        "department",
        "courier",
    ]
    list_filter = [
        "status",
        "source_system",
        "department",
        "warehouse",
        "carrier",
        "stuck_stage",
        "promised_on",
    ]
    # An employee number finds the records crediting that person (exactly: a hundred thousand
    # riders are too many for a filter list).
    search_fields = [
        "source_record_id",
        "order_ref",
        "=courier__employee_number",
        "=picker__employee_number",
        "=packer__employee_number",
    ]
    date_hierarchy = "promised_on"
    list_select_related = ["department", "warehouse", "carrier", "courier"]
    # The dates the delivery KPIs compare, in the mapping's local time (the times above them
    # are shown in the site's zone, so a delivery late in the evening may look a day later).
    readonly_fields = ["promised_on", "delivered_on", "stuck_stage"]


@admin.register(LoadJob)
class LoadJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "door",
        "file_name",
        "status",
        "read",
        "created",
        "updated",
        "skipped",
        "rejected",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "kind", "door"]
    list_select_related = ["created_by", "mapping"]
    change_list_template = TOOLS
    change_form_template = "admin/records/loadjob/change_form.html"
    readonly_fields = [
        "kind",
        "door",
        "file_name",
        "mapping",
        "skip_bad_rows",
        "status",
        "message",
        "created_by",
        "created_at",
        "finished_at",
    ]
    exclude = ["report", "file_path", "task_id"]

    def _count(self, obj, key):
        return obj.report.get(key) if obj.report else None

    @admin.display(description=_("read"))
    def read(self, obj):
        return self._count(obj, "read")

    @admin.display(description=_("created"))
    def created(self, obj):
        return self._count(obj, "created")

    @admin.display(description=_("updated"))
    def updated(self, obj):
        return self._count(obj, "updated")

    @admin.display(description=_("skipped"))
    def skipped(self, obj):
        return self._count(obj, "skipped")

    @admin.display(description=_("rejected"))
    def rejected(self, obj):
        return self._count(obj, "rejected")

    def has_add_permission(self, request):
        return False  # the upload page starts loads

    def has_change_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        extra = {"job": job, "task": _task_progress(job) if job else None}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})


def _task_progress(job: LoadJob) -> dict | None:
    """The worker's progress of a running load (done / total), or None."""
    if job.status != LoadStatus.RUNNING or not job.task_id or settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    result = AsyncResult(job.task_id)
    if result.state == "PROGRESS":
        info = result.info or {}
        total = info.get("total") or 0
        return {"state": "progress", "percent": 100 * info.get("done", 0) // total if total else 0}
    return {"state": result.state.lower()}


@admin.register(RecordMapping)
class RecordMappingAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "time_zone", "date_format"]
    list_filter = ["kind"]
    search_fields = ["name", "description"]


@admin.register(StageStandard)
class StageStandardAdmin(admin.ModelAdmin):
    list_display = ["stage", "hours"]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


admin.site.register_view(
    "records/upload/", lambda request: records_upload_view(request, admin.site), "records_upload"
)
admin.site.register_view(
    "records/late-tree/", lambda request: late_tree_view(request, admin.site), "records_late_tree"
)
