"""HR's workplace: plans with components and gates, enrollments, runs and their lines."""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from celery.result import AsyncResult
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.widgets import ForeignKeyWidget

from apps.departments.models import Employee
from cxoffice.admin_deletes import DeletesThroughService
from cxoffice.admin_numbers import PLAIN_DECIMALS
from cxoffice.admin_tools import ServiceCheckedForm, adopt
from cxoffice.errors import ApplicationError
from cxoffice.numbers import plain

from . import exports, money, services
from .messages import render
from .models import Adjustment, Component, Enrollment, Gate, Line, Plan, Run, RunKind, RunStatus
from .self_service import drillable, evidence_page
from .tasks import calculate_run


def _refused(modeladmin, request, error: ApplicationError) -> None:
    modeladmin.message_user(request, str(error.message), level=messages.ERROR)


# --- plans -------------------------------------------------------------------------------------


def money_column(field: str, currency_of, description):
    """An admin column of an amount with its currency's decimals (the database keeps three
    for every currency: see money.py)."""

    @admin.display(description=description, ordering=field)
    def column(self, obj):
        value = getattr(obj, field)
        return "—" if value is None else money.format_amount(value, currency_of(obj))

    return column


class CheckedInlineFormSet(forms.BaseInlineFormSet):
    """Runs the plan service's check over the whole list (weights add up to 100 % …)."""

    check = None  # set on the subclasses

    def rows(self) -> list[dict]:
        return [
            form.cleaned_data
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and not (self.can_delete and self._should_delete_form(form))
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        try:
            type(self).check(self.rows())
        except ApplicationError as error:
            raise forms.ValidationError(error.message, code=error.code) from error


class ComponentFormSet(CheckedInlineFormSet):
    check = staticmethod(services.check_components)


class GateFormSet(CheckedInlineFormSet):
    check = staticmethod(services.check_gates)


class ComponentInline(admin.TabularInline):
    model = Component
    formset = ComponentFormSet
    fields = ["kpi", "weight", "scope", "payout_at_threshold", "payout_at_stretch", "threshold",
              "target", "stretch", "low_sample"]  # fmt: skip
    autocomplete_fields = ["kpi"]
    extra = 1
    formfield_overrides = PLAIN_DECIMALS


class GateInline(admin.TabularInline):
    model = Gate
    formset = GateFormSet
    fields = ["kpi", "scope", "minimum", "multiplier"]
    autocomplete_fields = ["kpi"]
    extra = 0
    formfield_overrides = PLAIN_DECIMALS


@admin.register(Plan)
class PlanAdmin(DeletesThroughService, admin.ModelAdmin):
    list_display = ["code", "name", "period_type", "currency", "status", "cap_percent",
                    "missing_data_policy", "version"]  # fmt: skip
    list_filter = ["status", "period_type", "currency"]
    search_fields = ["code", "name"]
    fields = [*services.PLAN_FIELDS, "version"]
    readonly_fields = ["version"]
    inlines = [ComponentInline, GateInline]
    formfield_overrides = PLAIN_DECIMALS
    actions = ["new_version"]

    @admin.action(description=_("Create a new version (copies components, gates, enrollments)"),
                  permissions=["add"])  # fmt: skip
    def new_version(self, request, queryset):
        for plan in queryset:
            try:
                new = services.plan_new_version(plan=plan)
            except ApplicationError as error:
                _refused(self, request, error)
                continue
            self.message_user(
                request,
                gettext("%(new)s created from %(old)s; %(old)s is retired.")
                % {"new": new.code, "old": plan.code},
            )

    def has_change_permission(self, request, obj=None):
        if obj is not None:
            try:
                services.plan_check_editable(obj)
            except ApplicationError:
                return False  # frozen by an approved run: read-only
        return super().has_change_permission(request, obj)

    def delete_object(self, request, obj):
        services.plan_delete(plan=obj)

    def save_model(self, request, obj, form, change):
        pass  # written in save_related with its components and gates, as one checked change

    def save_related(self, request, form, formsets, change):
        def rows(kind, names):
            return [
                {k: v for k, v in row.items() if k in names}
                for formset in formsets
                if isinstance(formset, kind)
                for row in formset.rows()
            ]

        components = rows(ComponentFormSet, services.COMPONENT_FIELDS)
        gates = rows(GateFormSet, services.GATE_FIELDS)
        data = {
            name: form.cleaned_data[name]
            for name in services.PLAN_FIELDS
            if name in form.cleaned_data
        }
        if change:
            saved = services.plan_update(
                plan=form.instance, data=data, components=components, gates=gates
            )
        else:
            saved = services.plan_create(components=components, gates=gates, **data)
        adopt(form.instance, saved)
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


# --- enrollments -------------------------------------------------------------------------------


class EnrollmentResource(resources.ModelResource):
    """CSV/XLSX columns: employee (number), plan (code), target_amount, start_date, end_date;
    every row goes through the enrollment service (overlaps, negative amounts, frozen plans)."""

    employee = fields.Field(
        attribute="employee", column_name="employee",
        widget=ForeignKeyWidget(Employee, field="employee_number"),
    )  # fmt: skip
    plan = fields.Field(
        attribute="plan", column_name="plan", widget=ForeignKeyWidget(Plan, field="code")
    )

    class Meta:
        model = Enrollment
        fields = ("id", "employee", "plan", "target_amount", "start_date", "end_date")
        use_transactions = True
        clean_model_instances = False

    def save_instance(self, instance, is_create, row, **kwargs):
        data = {name: getattr(instance, name) for name in services.ENROLLMENT_FIELDS}
        try:
            if is_create:
                saved = services.enrollment_create(**data)
            else:
                saved = services.enrollment_update(enrollment=instance, data=data)
        except ApplicationError as error:
            raise forms.ValidationError({error.field or "__all__": error.message}) from error
        adopt(instance, saved)


class EnrollmentForm(ServiceCheckedForm):
    class Meta:
        model = Enrollment
        fields = list(services.ENROLLMENT_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.run_check(services.plan_check_editable, plan=cleaned["plan"])
        if not self.errors:  # (a refused plan is no longer in cleaned)
            self.run_check(
                services.enrollment_check,
                employee=cleaned["employee"],
                plan=cleaned["plan"],
                start_date=cleaned["start_date"],
                end_date=cleaned.get("end_date"),
                exclude=self.instance.pk,
            )
        return cleaned


@admin.register(Enrollment)
class EnrollmentAdmin(DeletesThroughService, ImportExportMixin, admin.ModelAdmin):
    form = EnrollmentForm
    resource_classes = [EnrollmentResource]
    import_formats = [CSV, XLSX]
    export_formats = [CSV, XLSX]
    list_display = ["employee", "plan", "target", "start_date", "end_date"]
    list_filter = ["plan"]
    target = money_column("target_amount", lambda e: e.plan.currency, _("target amount"))
    search_fields = ["employee__employee_number", "employee__full_name", "plan__code"]
    autocomplete_fields = ["employee"]
    list_select_related = ["employee", "plan"]

    def delete_object(self, request, obj):
        services.enrollment_delete(enrollment=obj)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.ENROLLMENT_FIELDS}
        saved = (
            services.enrollment_update(enrollment=obj, data=data)
            if change
            else services.enrollment_create(**data)
        )
        adopt(obj, saved)


# --- runs --------------------------------------------------------------------------------------


class RunForm(ServiceCheckedForm):
    class Meta:
        model = Run
        fields = ["plan", "period", "is_simulation"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:  # a period of the plan's type, a plan not retired: on the form
            self.run_check(
                services.run_check_new,
                plan=cleaned["plan"],
                period=cleaned["period"],
                is_simulation=cleaned.get("is_simulation", False),
            )
        return cleaned


class RunKindFilter(admin.SimpleListFilter):
    """Regular runs, simulations and true-ups apart (SPEC §10a)."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return RunKind.choices

    def queryset(self, request, queryset):
        if self.value() == RunKind.TRUE_UP:
            return queryset.filter(corrects__isnull=False)
        if self.value() in (RunKind.REGULAR, RunKind.SIMULATION):
            simulation = self.value() == RunKind.SIMULATION
            return queryset.filter(corrects__isnull=True, is_simulation=simulation)
        return queryset


@admin.register(Run)
class RunAdmin(DeletesThroughService, admin.ModelAdmin):
    form = RunForm
    list_display = ["plan", "period", "status", "kind_label", "line_count", "total",
                    "calculated_by", "approved_by", "blocked"]  # fmt: skip
    total = money_column("total_amount", lambda run: run.plan.currency, _("total"))
    list_filter = ["status", RunKindFilter, "plan"]
    list_select_related = ["plan", "calculated_by", "approved_by"]
    fields = ["plan", "period", "is_simulation"]
    actions = ["calculate", "approve", "mark_paid", "true_up", "export_csv", "export_xlsx"]
    change_form_template = "admin/bonuses/run/change_form.html"

    @admin.display(description=_("kind"))
    def kind_label(self, obj):
        return RunKind(obj.kind).label

    @admin.display(description=_("no blocking issues"), boolean=True)
    def blocked(self, obj):
        return not obj.blocking_issues

    def has_change_permission(self, request, obj=None):
        # A run changes only through its actions; its page is a read-out.
        return False if obj is not None else super().has_change_permission(request, obj)

    # Offered only to who may use them (the service checks again).
    def has_approve_permission(self, request, obj=None):
        return request.user.has_perm("bonuses.approve_run")

    def has_pay_permission(self, request, obj=None):
        return request.user.has_perm("bonuses.pay_run")

    def delete_object(self, request, obj):
        services.run_delete(run=obj)

    def get_deleted_objects(self, objs, request):
        # A run's lines and adjustments go with it (neither is deleted on its own): whether the
        # run may go is the service's rule, not a permission on them.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed -= {Line._meta.verbose_name, Adjustment._meta.verbose_name}
        return deleted, counts, perms_needed, protected

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.run_create(
            plan=data["plan"], period=data["period"], is_simulation=data.get("is_simulation", False)
        )
        adopt(obj, saved)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        extra = {}
        if run is not None:
            by_department = (
                Line.objects.filter(run=run)
                .values("department__code")
                .annotate(lines=Count("id"), total=Sum("amount"))
                .order_by("department__code")
            )
            factors = list(Line.objects.filter(run=run).values_list("factor", flat=True))
            extra = {
                "task": _task_progress(run),
                "difference": services.simulation_difference(run) if run.is_simulation else None,
                "run": run,
                "stale": services.run_is_stale(run),
                "by_department": by_department,
                "histogram": _histogram(factors),
                "lines_url": reverse("admin:bonuses_line_changelist") + f"?run__id__exact={run.pk}",
                "show_delete": _open(run),  # run_delete's check: no link it would refuse
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def _each(self, request, queryset, do, done_message):
        for run in queryset:
            try:
                do(run)
                self.message_user(
                    request,
                    done_message % {"run": f"{run.plan.code} {run.period}"},
                    messages.SUCCESS,
                )
            except ApplicationError as error:
                _refused(self, request, error)

    @admin.action(description=_("Calculate the selected runs"), permissions=["change"])
    def calculate(self, request, queryset):
        def start(run):
            services.check_run_open(run)
            task = calculate_run.delay(run.pk, request.user.pk)
            Run.objects.filter(pk=run.pk).update(task_id=task.id or "")

        self._each(request, queryset, start, gettext("Calculation of %(run)s started."))

    @admin.action(description=_("Approve the selected runs"), permissions=["approve"])
    def approve(self, request, queryset):
        self._each(
            request, queryset, lambda run: services.run_approve(run=run, user=request.user),
            gettext("%(run)s approved."),
        )  # fmt: skip

    @admin.action(description=_("Start a true-up of the selected runs"), permissions=["add"])
    def true_up(self, request, queryset):
        self._each(
            request, queryset, lambda run: services.run_true_up_start(run=run, user=request.user),
            gettext("True-up of %(run)s started."),
        )  # fmt: skip

    @admin.action(description=_("Mark the selected runs paid"), permissions=["pay"])
    def mark_paid(self, request, queryset):
        self._each(
            request, queryset, lambda run: services.run_mark_paid(run=run, user=request.user),
            gettext("%(run)s marked paid."),
        )  # fmt: skip

    def _export(self, request, queryset, kind):
        if queryset.count() != 1:
            self.message_user(request, gettext("Export one run at a time."), level=messages.ERROR)
            return None
        run = queryset.select_related("plan").get()
        try:
            body = exports.payroll_csv(run) if kind == "csv" else exports.payroll_xlsx(run)
        except ApplicationError as error:
            _refused(self, request, error)
            return None
        content_type = (
            "text/csv; charset=utf-8"
            if kind == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="bonus-{run.plan.code}-{run.period}.{kind}"'
        )
        return response

    @admin.action(description=_("Export to payroll (CSV)"), permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export(request, queryset, "csv")

    @admin.action(description=_("Export to payroll (XLSX)"), permissions=["view"])
    def export_xlsx(self, request, queryset):
        return self._export(request, queryset, "xlsx")


def _open(run: Run) -> bool:
    try:
        services.check_run_open(run)
    except ApplicationError:
        return False
    return True


def _task_progress(run: Run) -> dict | None:
    """The background calculation's state when it runs on a worker (with a broker): pending,
    progress (done / total) or failure; None once finished or when tasks run in-process."""
    if not run.task_id or settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    result = AsyncResult(run.task_id)
    if result.state == "PROGRESS":
        return {"state": "progress", **(result.info or {})}
    if result.state in ("PENDING", "STARTED", "RETRY"):
        return {"state": "pending"}
    if result.state == "FAILURE":
        return {"state": "failure", "error": str(result.info)}
    return None


def _histogram(factors: list[Decimal]) -> list[dict]:
    """Lines by payout factor in bands of 25 percentage points (0–25 %, …, ≥ 200 %), with the
    geometry of a horizontal bar chart (rows 20 px apart, bars up to 300 px)."""
    bands: dict[int, int] = defaultdict(int)
    for factor in factors:
        bands[min(int(factor * 4), 8)] += 1
    most = max(bands.values(), default=0) or 1
    return [
        {"label": f"{n * 25}–{n * 25 + 25} %" if n < 8 else "≥ 200 %", "count": bands.get(n, 0),
         "y": n * 20, "width": round(300 * bands.get(n, 0) / most)}
        for n in range(9)
    ]  # fmt: skip


@admin.register(Line)
class LineAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        # Lines a calculation on workers is still writing (into a hidden run) are not shown.
        return super().get_queryset(request).filter(run__shadow_of__isnull=True)

    list_display = ["employee", "run", "department", "eligible_days", "payout_factor",
                    "amount_shown", "adjustments_shown"]  # fmt: skip
    list_filter = ["run", "department", "capped"]
    search_fields = ["employee__employee_number", "employee__full_name"]
    list_select_related = ["employee", "run", "run__plan", "department"]
    readonly_fields = [
        "run", "employee", "department", "target_shown", "eligible_days", "period_days",
        "proration", "payout_factor", "gate_multiplier", "capped", "adjustments_shown",
        "amount_shown", "statement", "flags", "components_table",
    ]  # fmt: skip
    amount_shown = money_column("amount", lambda line: line.run.plan.currency, _("amount"))
    adjustments_shown = money_column(
        "adjustments_total", lambda line: line.run.plan.currency, _("adjustments")
    )
    target_shown = money_column(
        "target_amount", lambda line: line.run.plan.currency, _("target amount")
    )
    fields = readonly_fields

    @admin.display(description=_("payout factor"), ordering="factor")
    def payout_factor(self, obj):
        return _percent(obj.factor * 100)

    @admin.display(description=_("components"))
    def components_table(self, obj):
        """The stored components as a table (what each KPI paid), rounded for reading only."""
        head = [_("KPI"), _("holder"), _("days"), _("actual"), _("threshold · target · stretch"),
                _("payout"), _("weight"), _("amount")]  # fmt: skip
        drill = {c.get("kpi") for c in drillable(obj)}
        evidence = reverse("admin:bonuses_line_evidence", args=[obj.pk]) if obj.pk else ""
        rows = [
            (
                format_html('<a href="{}?kpi={}">{}</a>', evidence, c["kpi"], c["kpi"])
                if c.get("kpi") in drill and c.get("scope") == "employee"
                else c.get("kpi"),
                c.get("department") or _("company"),
                c.get("days"),
                _rounded(c.get("actual")),
                " · ".join(_rounded(c.get(k)) for k in ("threshold", "target", "stretch")),
                _percent(c.get("payout_percent")),
                _percent(c.get("weight")),
                c.get("amount"),
            )
            for c in obj.components or []
        ]
        return format_html(
            '<table class="cx-components"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
            format_html_join("", "<th>{}</th>", ((h,) for h in head)),
            format_html_join(
                "", "<tr>" + "<td>{}</td>" * len(head) + "</tr>", (tuple(r) for r in rows)
            ),
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/evidence/",
                self.admin_site.admin_view(self.evidence_view),
                name="bonuses_line_evidence",
            )
        ]
        return own + super().get_urls()

    def evidence_view(self, request, object_id):
        """A component of the line, down to the records behind the person's number."""
        line = self.get_object(request, unquote(object_id))
        if line is None or not self.has_view_permission(request, line):
            raise Http404
        context = {**self.admin_site.each_context(request), "title": str(line)}
        return evidence_page(request, line, "admin/bonuses/line_evidence.html", context)

    @admin.display(description=_("explanation"))
    def statement(self, obj):
        return format_html_join("\n", "<p>{}</p>", ((text,) for text in render(obj.explanation)))


def _rounded(value) -> str:
    """A stored decimal to at most 2 places, for reading (the line keeps every digit)."""
    if value in (None, ""):
        return "—"
    return plain(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _percent(value) -> str:
    return "—" if value in (None, "") else f"{_rounded(value)}%"


class AdjustmentForm(ServiceCheckedForm):
    class Meta:
        model = Adjustment
        fields = ["run", "employee", "amount", "reason"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:  # the service's checks: the employee has a line, the run is open
            self.run_check(
                services.adjustment_check, run=cleaned["run"], employee=cleaned["employee"]
            )
        return cleaned


@admin.register(Adjustment)
class AdjustmentAdmin(admin.ModelAdmin):
    form = AdjustmentForm
    list_display = ["run", "employee", "amount_shown", "reason", "created_by", "created_at"]
    list_select_related = ["run", "run__plan", "employee", "created_by"]
    amount_shown = money_column("amount", lambda a: a.run.plan.currency, _("amount"))
    fields = ["run", "employee", "amount", "reason"]
    autocomplete_fields = ["employee"]

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # an adjustment is history: correct it with another one

    def save_model(self, request, obj, form, change):
        saved = services.adjustment_create(
            run=obj.run, employee=obj.employee, amount=obj.amount, reason=obj.reason,
            user=request.user,
        )  # fmt: skip
        adopt(obj, saved)


def runs_awaiting_approval_panel(request):
    runs = Run.objects.filter(status=RunStatus.CALCULATED, is_simulation=False).select_related(
        "plan"
    )
    if not request.user.has_perm("bonuses.view_run"):
        return None
    return {"template": "admin/bonuses/runs_panel.html", "runs": list(runs[:10])}


admin.site.register_panel(runs_awaiting_approval_panel)
