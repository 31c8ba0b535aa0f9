"""The feedback admin: the CS lead's triage list (filters by channel, category, department,
status, overdue, week), bulk actions through the services, the taxonomy, response times, column
mappings, the import page and the dashboard's volume chart."""

from __future__ import annotations

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from apps.departments.models import Employee
from apps.kpis.periods import Period, PeriodType
from cxoffice.admin_tools import ServiceCheckedForm, adopt
from cxoffice.errors import ApplicationError

from . import selectors, services
from .admin_views import feedback_import_view, feedback_volume_panel
from .filters import week_period
from .models import Category, ColumnMapping, Feedback, ResponseTime, Status


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(selectors.overdue_q())
        if self.value() == "no":
            return queryset.exclude(selectors.overdue_q())
        return queryset


class WeekFilter(admin.SimpleListFilter):
    """The ISO week received: the last 12 weeks are offered, any key works in the URL."""

    title = _("week received")
    parameter_name = "week"

    def lookups(self, request, model_admin):
        this_week = Period.for_date(timezone.localdate(), PeriodType.WEEK)
        return [(week.key, week.key) for week in reversed(this_week.last(12))]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            period = week_period(self.value())
        except ApplicationError as error:
            raise IncorrectLookupParameters(error.message) from error
        return queryset.filter(selectors.in_period_q(period))


class FeedbackForm(ServiceCheckedForm):
    class Meta:
        model = Feedback
        fields = list(services.EDITABLE_FIELDS)


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    form = FeedbackForm
    list_display = ["id", "received_at", "channel", "rating", "excerpt", "category",
                    "department", "severity", "status", "owner", "due_date", "overdue"]  # fmt: skip
    list_display_links = ["id", "excerpt"]
    list_filter = ["channel", ("category", admin.RelatedOnlyFieldListFilter),
                   ("department", admin.RelatedOnlyFieldListFilter), "status", "severity",
                   OverdueFilter, WeekFilter, "source_system"]  # fmt: skip
    search_fields = ["text", "customer_ref", "order_ref", "source_ref"]
    autocomplete_fields = ["owner", "kpi", "department"]
    raw_id_fields = ["bpi_project"]
    readonly_fields = ["status", "resolved_at", "source_system", "source_ref", "created_at"]
    date_hierarchy = "received_at"
    actions = ["assign_owner", "triage_with_defaults", "mark_triaged", "mark_in_progress",
               "mark_resolved", "mark_closed"]  # fmt: skip
    change_list_template = "admin/feedback/feedback/change_list.html"
    fieldsets = [
        (None, {"fields": ["channel", "received_at", "rating", "text", "customer_ref",
                           "order_ref"]}),
        (_("Triage"), {"fields": ["category", "department", "severity", "owner", "due_date",
                                  "status"]}),
        (_("Resolution"), {"fields": ["resolution", "resolved_at"]}),
        (_("Links"), {"fields": ["kpi", "bpi_project"]}),
        (_("Source"), {"fields": ["source_system", "source_ref", "created_at"]}),
    ]  # fmt: skip

    def get_queryset(self, request):
        return selectors.feedback_list()

    @admin.display(description=_("text"))
    def excerpt(self, obj):
        text = (obj.text or "").strip()
        return text[:80] + ("…" if len(text) > 80 else "")

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj):
        return obj.is_overdue

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS
                if name in form.cleaned_data}  # fmt: skip
        if change:
            saved = services.feedback_update(feedback=obj, data=data)
        else:
            saved = services.feedback_create(**data)
        adopt(obj, saved)

    # -- bulk actions, each through a service ---------------------------------------------------

    def _ids(self, queryset) -> list[int]:
        return list(queryset.values_list("pk", flat=True))

    def _report_refusal(self, request, error: ApplicationError) -> None:
        self.message_user(request, error.message, messages.ERROR)
        for row in getattr(error, "errors", [])[1:20]:
            self.message_user(request, f"#{row.index}: {row.detail}", messages.ERROR)

    def _transition(self, request, queryset, to: str) -> None:
        try:
            moved = services.feedback_bulk_transition(feedback_ids=self._ids(queryset), to=to)
        except ApplicationError as error:
            self._report_refusal(request, error)
            return
        self.message_user(
            request,
            ngettext(
                "%(count)s item is now %(status)s.", "%(count)s items are now %(status)s.", moved
            )
            % {"count": moved, "status": Status(to).label},
            messages.SUCCESS,
        )

    @admin.action(description=_("Set status: triaged"), permissions=["change"])
    def mark_triaged(self, request, queryset):
        self._transition(request, queryset, Status.TRIAGED)

    @admin.action(description=_("Set status: in progress"), permissions=["change"])
    def mark_in_progress(self, request, queryset):
        self._transition(request, queryset, Status.IN_PROGRESS)

    @admin.action(description=_("Set status: resolved"), permissions=["change"])
    def mark_resolved(self, request, queryset):
        self._transition(request, queryset, Status.RESOLVED)

    @admin.action(description=_("Set status: closed"), permissions=["change"])
    def mark_closed(self, request, queryset):
        self._transition(request, queryset, Status.CLOSED)

    @admin.action(
        description=_("Triage with the category's defaults (department, head, due date)"),
        permissions=["change"],
    )
    def triage_with_defaults(self, request, queryset):
        done, refused = 0, []
        for item in queryset.select_related("category"):
            try:
                services.feedback_triage(feedback=item)
                done += 1
            except ApplicationError as error:
                refused.append(f"#{item.pk}: {error.message}")
        if done:
            self.message_user(
                request,
                ngettext("%(count)s item triaged.", "%(count)s items triaged.", done)
                % {"count": done},
                messages.SUCCESS,
            )
        for line in refused[:20]:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=_("Assign an owner …"), permissions=["change"])
    def assign_owner(self, request, queryset):
        form = AssignOwnerForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            owner = form.cleaned_data["owner"]
            try:
                count = services.feedback_bulk_assign_owner(
                    feedback_ids=self._ids(queryset), owner=owner
                )
            except ApplicationError as error:
                self._report_refusal(request, error)
                return HttpResponseRedirect(request.get_full_path())
            self.message_user(
                request,
                ngettext(
                    "%(owner)s now owns %(count)s item.",
                    "%(owner)s now owns %(count)s items.",
                    count,
                )
                % {"owner": owner.full_name, "count": count},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(request.get_full_path())
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Assign an owner"),
            "opts": self.model._meta,
            "form": form,
            "items": queryset[:100],
            "count": queryset.count(),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action": "assign_owner",
        }
        return TemplateResponse(request, "admin/feedback/assign_owner.html", context)


class AssignOwnerForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=Employee.objects.filter(leave_date__isnull=True)
    )


class CategoryForm(ServiceCheckedForm):
    class Meta:
        model = Category
        fields = list(services.CATEGORY_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if "parent" in cleaned:
            self.run_check(
                services.category_check_parent, category=self.instance, parent=cleaned["parent"]
            )
        return cleaned


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryForm
    list_display = ["code", "shown_name", "parent", "department", "is_active"]
    list_filter = ["is_active", "department"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["department"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent", "department")

    @admin.display(description=_("name"), ordering="name")
    def shown_name(self, obj):
        # Catalog names are translated; names typed by the company come back as they are.
        return gettext(obj.name) if obj.name else ""

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.CATEGORY_FIELDS
                if name in form.cleaned_data}  # fmt: skip
        if change:
            saved = services.category_update(category=obj, data=data)
        else:
            saved = services.category_create(**data)
        adopt(obj, saved)


@admin.register(ResponseTime)
class ResponseTimeAdmin(admin.ModelAdmin):
    list_display = ["severity", "hours"]


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    list_display = ["name", "target", "date_format", "time_zone"]
    search_fields = ["name", "description"]


admin.site.register_view(
    "feedback/import/", partial(feedback_import_view, site=admin.site), "feedback_import"
)
admin.site.register_panel(feedback_volume_panel)
