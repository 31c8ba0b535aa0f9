from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxoffice.admin_tools import ServiceCheckedForm, adopt
from cxoffice.errors import ApplicationError

from . import selectors, services
from .models import Assignment, Department, Employee
from .roles import ROLE_LABELS, user_can_see_salaries


class DepartmentForm(ServiceCheckedForm):
    class Meta:
        model = Department
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        if "parent" in cleaned:
            self.run_check(
                services.department_check_parent, department=self.instance, parent=cleaned["parent"]
            )
        return cleaned


class SubDepartmentInline(admin.TabularInline):
    model = Department
    fk_name = "parent"
    fields = ["code", "name", "head", "is_active"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("sub-department")
    verbose_name_plural = _("sub-departments")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    form = DepartmentForm
    list_display = ["code", "name", "parent", "head", "employee_count", "is_active"]
    list_display_links = ["code", "name"]
    list_filter = ["is_active", ("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent", "head"]
    filter_horizontal = ["stewards"]
    inlines = [SubDepartmentInline]

    def get_queryset(self, request):
        return selectors.department_list()

    @admin.display(description=_("employees today"), ordering="employee_count")
    def employee_count(self, obj):
        return obj.employee_count

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.DEPARTMENT_FIELDS}
        if change:
            saved = services.department_update(department=obj, data=fields)
        else:
            saved = services.department_create(**fields)
        adopt(obj, saved)


class AssignmentInlineFormSet(forms.BaseInlineFormSet):
    """Checks the employee's whole assignment history as it will be after this save."""

    def assignment_changes(self) -> list[services.AssignmentChange]:
        changes = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            existing = form.instance if form.instance.pk else None
            if self.can_delete and self._should_delete_form(form):
                if existing is not None:
                    changes.append(services.AssignmentChange(instance=existing, delete=True))
                continue
            data = form.cleaned_data
            changes.append(
                services.AssignmentChange(
                    instance=existing,
                    department=data["department"],
                    start_date=data["start_date"],
                    end_date=data.get("end_date"),
                )
            )
        return changes

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        employee = self.instance
        if employee.hire_date is None:
            return
        try:
            services.employee_validate(
                employee=employee,
                hire_date=employee.hire_date,
                leave_date=employee.leave_date,
                assignment_changes=self.assignment_changes(),
            )
        except ApplicationError as error:
            raise forms.ValidationError(error.message, code=error.code) from error


class AssignmentInline(admin.TabularInline):
    model = Assignment
    formset = AssignmentInlineFormSet
    fields = ["department", "start_date", "end_date"]
    autocomplete_fields = ["department"]
    extra = 1
    ordering = ["start_date"]


class CurrentDepartmentFilter(admin.SimpleListFilter):
    title = _("current department")
    parameter_name = "department"

    def lookups(self, request, model_admin):
        return [(d.code, str(d)) for d in Department.objects.filter(is_active=True)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(current_department_code=self.value())
        return queryset


class EmploymentFilter(admin.SimpleListFilter):
    title = _("employment")
    parameter_name = "employed"

    def lookups(self, request, model_admin):
        return [("yes", _("Employed today")), ("no", _("Left or not yet started"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        employed = queryset.filter(hire_date__lte=today).exclude(leave_date__lt=today)
        if self.value() == "yes":
            return employed
        if self.value() == "no":
            return queryset.exclude(pk__in=employed.values("pk"))
        return queryset


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = [
        "employee_number",
        "full_name",
        "title",
        "current_department",
        "is_executive",
        "hire_date",
        "leave_date",
    ]
    list_display_links = ["employee_number", "full_name"]
    list_filter = [EmploymentFilter, CurrentDepartmentFilter, "is_executive"]
    search_fields = ["employee_number", "full_name", "email", "title"]
    autocomplete_fields = ["user"]
    inlines = [AssignmentInline]
    date_hierarchy = "hire_date"

    def get_queryset(self, request):
        return selectors.employee_list()

    def get_fields(self, request, obj=None):
        # The salary is HR's only: for anyone else it is neither shown nor posted.
        salary_ok = user_can_see_salaries(request.user)
        return [f for f in services.EMPLOYEE_FIELDS if f != "base_salary" or salary_ok]

    @admin.display(description=_("current department"), ordering="current_department_code")
    def current_department(self, obj):
        return obj.current_department_code or "—"

    def save_model(self, request, obj, form, change):
        # Written in save_related, together with the assignment rows, as one checked change.
        pass

    def save_related(self, request, form, formsets, change):
        assignment_formset = next(
            (fs for fs in formsets if isinstance(fs, AssignmentInlineFormSet)), None
        )
        changes = assignment_formset.assignment_changes() if assignment_formset else []
        data = {
            name: form.cleaned_data[name]
            for name in services.EMPLOYEE_FIELDS
            if name in form.cleaned_data
        }
        saved = services.employee_save(
            employee=form.instance if change else None, data=data, assignment_changes=changes
        )
        adopt(form.instance, saved)
        if assignment_formset is None:
            return
        # The admin's change message reads these lists, which formset.save() would have filled.
        existing = [form.instance.pk for form in assignment_formset.initial_forms]
        assignment_formset.new_objects = list(saved.assignments.exclude(pk__in=existing))
        assignment_formset.deleted_objects = [c.instance for c in changes if c.delete]
        deleted = {obj.pk for obj in assignment_formset.deleted_objects}
        assignment_formset.changed_objects = [
            (form.instance, form.changed_data)
            for form in assignment_formset.initial_forms
            if form.has_changed() and form.instance.pk not in deleted
        ]


class AssignmentForm(ServiceCheckedForm):
    class Meta:
        model = Assignment
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        if all(cleaned.get(name) for name in ("employee", "department", "start_date")):
            self.run_check(
                services.assignment_validate,
                employee=cleaned["employee"],
                department=cleaned["department"],
                start_date=cleaned["start_date"],
                end_date=cleaned.get("end_date"),
                instance=self.instance,
            )
        return cleaned


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    form = AssignmentForm
    list_display = ["employee", "department", "start_date", "end_date"]
    list_filter = [("department", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["employee__employee_number", "employee__full_name", "department__code"]
    autocomplete_fields = ["employee", "department"]
    date_hierarchy = "start_date"

    def get_queryset(self, request):
        return selectors.assignment_list()

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ("employee", *services.ASSIGNMENT_FIELDS)}
        if change:
            saved = services.assignment_update(assignment=obj, data=data)
        else:
            saved = services.assignment_create(**data)
        adopt(obj, saved)

    def delete_model(self, request, obj):
        services.assignment_delete(assignment=obj)


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(GroupAdmin):
    """Groups are the roles of SPEC §12; their names stay English, their labels are translated."""

    list_display = ["name", "role_label", "member_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(members=Count("user"))

    @admin.display(description=_("role"))
    def role_label(self, obj):
        return ROLE_LABELS.get(obj.name, obj.name)

    @admin.display(description=_("members"), ordering="members")
    def member_count(self, obj):
        return obj.members
