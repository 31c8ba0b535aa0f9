from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from simple_history.admin import SimpleHistoryAdmin

from cxoffice.admin_tools import ServiceCheckedForm, adopt
from cxoffice.errors import ApplicationError

from . import selectors, services
from .models import KPI, Aggregation, KPIResult
from .resources import KPIResultResource
from .selectors import individual_numbers_visible


class KPIForm(ServiceCheckedForm):
    class Meta:
        model = KPI
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        if "parent" in cleaned:
            self.run_check(services.kpi_check_parent, kpi=self.instance, parent=cleaned["parent"])
        return cleaned


class ChildKPIInline(admin.TabularInline):
    model = KPI
    fk_name = "parent"
    fields = ["code", "name", "department", "unit", "direction"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("child KPI (explains this one)")
    verbose_name_plural = _("child KPIs (root causes)")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(KPI)
class KPIAdmin(admin.ModelAdmin):
    form = KPIForm
    list_display = ["code", "shown_name", "department", "unit", "direction", "aggregation",
                    "frequency", "parent", "is_active"]  # fmt: skip
    list_display_links = ["code", "shown_name"]
    list_filter = ["is_active", "department", "unit", "direction", "aggregation", "frequency",
                   "source"]  # fmt: skip
    search_fields = ["code", "name", "description"]
    autocomplete_fields = ["parent", "department"]
    inlines = [ChildKPIInline]

    def get_queryset(self, request):
        return selectors.kpi_list()

    @admin.display(description=_("name"), ordering="name")
    def shown_name(self, obj):
        # Catalog names are translated; names typed by the company come back as they are.
        return gettext(obj.name) if obj.name else ""

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in services.KPI_FIELDS
            if name in form.cleaned_data
        }
        saved = services.kpi_update(kpi=obj, data=data) if change else services.kpi_create(**data)
        adopt(obj, saved)


class KPIResultForm(ServiceCheckedForm):
    class Meta:
        model = KPIResult
        fields = ["kpi", "scope", "department", "employee", "period", "value", "numerator",
                  "denominator", "sample_size", "note"]  # fmt: skip

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # The value is derived for ratio KPIs given numerator and denominator (the field is
        # absent from the read-only view of a result the user may not change).
        if "value" in self.fields:
            self.fields["value"].required = False

    def result_changes(self) -> dict:
        """What the user changed on a stored result, for the update service (its KPI, scope,
        holder and period are read-only on the change form)."""
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in services.RESULT_CHANGE_FIELDS and name in self.cleaned_data
        }

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            if not self.errors:
                self.run_check(
                    services.kpi_result_check_update,
                    user=self.user,
                    result=self.instance,
                    **self.result_changes(),
                )
            return cleaned
        kpi, scope, period = cleaned.get("kpi"), cleaned.get("scope"), cleaned.get("period")
        if not (kpi and scope and period) or self.errors:
            return cleaned
        department, employee = cleaned.get("department"), cleaned.get("employee")
        self.run_check(services.check_scope, scope=scope, department=department, employee=employee)
        self.run_check(
            services.NumbersWriter.for_user(self.user).check,
            scope=scope,
            department_id=department.pk if department else None,
            employee_id=employee.pk if employee else None,
        )
        value = cleaned.get("value")
        if (
            kpi.aggregation == Aggregation.RATIO
            and cleaned.get("denominator") is not None
            and "value" not in self.changed_data
        ):
            value = None  # derived again from the (new) numerator and denominator
        try:
            self.checked_values = services.result_values(
                kpi=kpi,
                period=period,
                value=value,
                numerator=cleaned.get("numerator"),
                denominator=cleaned.get("denominator"),
                sample_size=cleaned.get("sample_size"),
            )
        except ApplicationError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
            return cleaned
        # One result per KPI, holder and period: say which one exists (rather than the
        # database constraint's name).
        same = KPIResult.objects.filter(
            kpi=kpi,
            scope=scope,
            department=department,
            employee=employee,
            period=self.checked_values.period.key,
        ).exclude(pk=self.instance.pk)
        existing = same.values_list("pk", flat=True).first()
        if existing is not None:
            self.add_error(
                "period",
                _(
                    "This KPI already has a result for this holder and period (result "
                    "#%(id)s): change that one instead."
                )
                % {"id": existing},
            )
        return cleaned


@admin.register(KPIResult)
class KPIResultAdmin(ImportExportMixin, SimpleHistoryAdmin):
    form = KPIResultForm
    resource_classes = [KPIResultResource]
    import_formats = [CSV, XLSX]
    export_formats = [CSV, XLSX]
    list_display = ["kpi", "scope", "holder", "period", "value", "numerator", "denominator",
                    "sample_size", "source", "entered_by", "updated_at"]  # fmt: skip
    list_filter = ["period_type", "source", "scope", ("kpi", admin.RelatedOnlyFieldListFilter),
                   ("department", admin.RelatedOnlyFieldListFilter)]  # fmt: skip
    search_fields = ["kpi__code", "kpi__name", "period", "department__code",
                     "employee__employee_number", "note"]  # fmt: skip
    autocomplete_fields = ["kpi", "department", "employee"]
    list_select_related = ["kpi", "department", "employee", "entered_by"]
    history_list_display = ["value", "numerator", "denominator", "note"]
    date_hierarchy = "period_start"
    fields = KPIResultForm.Meta.fields

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:  # a result's identity is fixed once it exists
            readonly += [name for name in services.RESULT_KEY_FIELDS if name not in readonly]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class FormForUser(form):
            def __init__(inner, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        return FormForUser

    def get_queryset(self, request):
        return individual_numbers_visible(selectors.kpi_result_list(), request.user)

    @admin.display(description=_("department or employee"))
    def holder(self, obj):
        return obj.department or obj.employee or _("company")

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return services.NumbersWriter.for_user(request.user).may_write(
            scope=obj.scope, department_id=obj.department_id, employee_id=obj.employee_id
        )

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) and super().has_delete_permission(
            request, obj
        )

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.kpi_result_update(
                user=request.user, result=obj, **form.result_changes()
            )
        else:
            values = form.checked_values
            saved, _outcome = services.kpi_result_upsert(
                user=request.user,
                kpi=obj.kpi,
                scope=obj.scope,
                department=obj.department,
                employee=obj.employee,
                period=values.period.key,
                value=values.value,
                numerator=values.numerator,
                denominator=values.denominator,
                sample_size=values.sample_size,
                note=form.cleaned_data.get("note", ""),
            )
        adopt(obj, saved)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form runs the services' checks; a refusal found only while writing (a change made
        # meanwhile) rolls the save back and is shown as a message, never a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            self.message_user(request, str(error.message), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_model(self, request, obj):
        services.kpi_result_delete(user=request.user, result=obj)
