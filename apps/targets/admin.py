from functools import partial

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.kpis.selectors import individual_numbers_visible
from apps.kpis.services import NumbersWriter
from cxoffice.admin_tools import ServiceCheckedForm, adopt

from . import selectors, services
from .admin_views import scorecard_panel, scorecard_view
from .models import Target

admin.site.register_view("scorecard/", partial(scorecard_view, site=admin.site), "scorecard")
admin.site.register_panel(scorecard_panel)


class TargetForm(ServiceCheckedForm):
    class Meta:
        model = Target
        fields = list(services.TARGET_FIELDS)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kpi") and not self.errors:
            values = {name: cleaned.get(name) for name in services.TARGET_FIELDS}
            self.run_check(services.target_check, values=values)
            department, employee = cleaned.get("department"), cleaned.get("employee")
            self.run_check(
                NumbersWriter.for_user(self.user).check,
                scope=cleaned.get("scope"),
                department_id=department.pk if department else None,
                employee_id=employee.pk if employee else None,
            )
        return cleaned


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    form = TargetForm
    list_display = ["kpi", "scope", "holder", "validity", "threshold", "target", "stretch",
                    "benchmark", "updated_by"]  # fmt: skip
    list_filter = ["scope", ("kpi", admin.RelatedOnlyFieldListFilter),
                   ("department", admin.RelatedOnlyFieldListFilter)]  # fmt: skip
    search_fields = ["kpi__code", "kpi__name", "period", "benchmark_source"]
    autocomplete_fields = ["kpi", "department", "employee"]
    list_select_related = ["kpi", "department", "employee", "updated_by"]
    history_list_display = ["threshold", "target", "stretch", "benchmark"]

    def get_queryset(self, request):
        return individual_numbers_visible(selectors.target_list(), request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class FormForUser(form):
            def __init__(inner, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        return FormForUser

    @admin.display(description=_("department or employee"))
    def holder(self, obj):
        return obj.department or obj.employee or _("company")

    @admin.display(description=_("validity"))
    def validity(self, obj):
        if obj.period:
            return obj.period
        if obj.valid_from or obj.valid_to:
            return f"{obj.valid_from or '…'} – {obj.valid_to or '…'}"
        return _("always")

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return NumbersWriter.for_user(request.user).may_write(
            scope=obj.scope, department_id=obj.department_id, employee_id=obj.employee_id
        )

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) and super().has_delete_permission(
            request, obj
        )

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in services.TARGET_FIELDS}
        if change:
            saved = services.target_update(user=request.user, target=obj, data=data)
        else:
            saved = services.target_create(user=request.user, **data)
        adopt(obj, saved)

    def delete_model(self, request, obj):
        services.target_delete(user=request.user, target=obj)
