"""The project owner's workplace: BPI projects with their KPI links (baseline, goal, current
value and trend), progress updates and milestones; status moves by buttons.

Object rules come from the services: owners (and administrators) change a project, everyone
else with access sees it read-only; every save goes through the services.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.kpis import formatting
from apps.targets.charts import sparkline_svg
from cxoffice.admin_numbers import PLAIN_DECIMALS
from cxoffice.admin_tools import ServiceCheckedForm, adopt
from cxoffice.errors import ApplicationError

from . import selectors, services
from .models import KPILink, Milestone, Project, Status, Update

# The button for a move, by the status it leads to.
TRANSITION_LABELS = {
    Status.APPROVED: _("Approve"),
    Status.IN_PROGRESS: _("Start work"),
    Status.ON_HOLD: _("Put on hold"),
    Status.COMPLETED: _("Mark completed"),
    Status.VERIFIED: _("Verify results"),
    Status.CANCELLED: _("Cancel the project"),
}
RESUME_LABEL = _("Resume work")


def may_edit(request, project: Project | None) -> bool:
    """The object rule of SPEC §8 for the admin: the owner or an administrator, while the
    project is not verified or cancelled (a new project: anyone who may add)."""
    return project is None or (
        services.can_edit(request.user, project)
        and project.status not in services.READ_ONLY_STATUSES
    )


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(selectors.overdue_q())
        if self.value() == "no":
            return queryset.exclude(selectors.overdue_q())
        return queryset


class MineFilter(admin.SimpleListFilter):
    title = _("owner")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", _("My projects"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(owner__user=request.user)
        return queryset


# --- inlines -----------------------------------------------------------------------------------


class KPILinkFormSet(forms.BaseInlineFormSet):
    """A project links each KPI once per scope (checked by the service over the whole list)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [
            form.cleaned_data
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and form.cleaned_data.get("kpi")
            and not (self.can_delete and self._should_delete_form(form))
        ]
        try:
            services.check_kpi_links(rows)
        except ApplicationError as error:
            raise forms.ValidationError(error.message, code=error.code) from error


class ProjectChildInline(admin.TabularInline):
    """Adding, changing and deleting follow the project's object rule."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and may_edit(request, obj)


class KPILinkInline(ProjectChildInline):
    """Numbers in the KPI's unit and decimals (``4.8%``); the inputs of those who may edit show
    the stored number exactly, without trailing zeros."""

    model = KPILink
    formset = KPILinkFormSet
    fields = ["kpi", "department", "baseline", "baseline_source", "goal", "current", "trend"]
    readonly_fields = ["baseline_source", "baseline_shown", "goal_shown", "current", "trend"]
    autocomplete_fields = ["kpi", "department"]
    formfield_overrides = PLAIN_DECIMALS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._facts: dict[int, tuple[KPILink, list]] | None = None  # this request's

    def get_fields(self, request, obj=None):
        if may_edit(request, obj) and self.has_change_permission(request, obj):
            return list(self.fields)
        # Read-only: the numbers as people read them rather than the stored 8 places.
        return ["kpi", "department", "baseline_shown", "goal_shown", "current", "trend"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "kpi", "department")

    def _facts_of(self, link: KPILink):
        """Current values and trends of all the project's links, loaded once per page."""
        if link.pk is None:
            return None
        if self._facts is None or link.pk not in self._facts:
            project = selectors.project_list().get(pk=link.project_id)
            selectors.attach_current_values([project])
            links = list(project.kpi_links.all())
            trends = selectors.kpi_link_trends(links)
            self._facts = {each.pk: (each, trends[each.pk]) for each in links}
        return self._facts.get(link.pk)

    @staticmethod
    def _read(value, link: KPILink, period: str, basis: str) -> str:
        """``4.8% (2025-12)``, with how the value was read when not explicit."""
        shown = formatting.kpi_value_text(value, link.kpi)
        how = ", ".join(part for part in (period, formatting.basis_text(basis)) if part)
        return f"{shown} ({how})" if how else shown

    @admin.display(description=_("baseline from"))
    def baseline_source(self, link):
        if link.pk is None or link.baseline is None:
            return "—"
        if not link.baseline_period:
            return gettext("given by hand")
        return self._read(link.baseline, link, link.baseline_period, link.baseline_basis)

    @admin.display(description=_("baseline"))
    def baseline_shown(self, link):
        if link.pk is None or link.baseline is None:
            return "—"
        return self._read(link.baseline, link, link.baseline_period, link.baseline_basis)

    @admin.display(description=_("goal"))
    def goal_shown(self, link):
        return "—" if link.pk is None else formatting.kpi_value_text(link.goal, link.kpi)

    @admin.display(description=_("current"))
    def current(self, link):
        facts = self._facts_of(link)
        if facts is None or facts[0].current is None:
            return "—"
        loaded = facts[0]
        return self._read(loaded.current, loaded, loaded.current_period, loaded.current_basis)

    @admin.display(description=_("trend"))
    def trend(self, link):
        facts = self._facts_of(link)
        if facts is None:
            return "—"
        loaded, series = facts
        if not series:
            return "—"
        title = gettext("%(kpi)s, %(first)s – %(last)s") % {
            "kpi": loaded.kpi.code,
            "first": series[0][0].key,
            "last": series[-1][0].key,
        }
        svg = sparkline_svg(
            [value.value for _period, value in series], target=loaded.goal, title=title
        )
        # The markup holds only numbers and an escaped title (see apps.targets.charts).
        return mark_safe(svg)  # noqa: S308


class UpdateInline(ProjectChildInline):
    """Progress reports are history: added by the owner, never changed or deleted."""

    model = Update
    fields = ["date", "progress_percent", "note", "author"]
    readonly_fields = ["author"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MilestoneInline(ProjectChildInline):
    model = Milestone
    fields = ["title", "due_date", "done_on"]


# --- the project -------------------------------------------------------------------------------


class ProjectForm(ServiceCheckedForm):
    class Meta:
        model = Project
        fields = ["code", "title", "problem", "root_cause", "owner", "sponsor", "departments",
                  "priority", "start_date", "due_date"]  # fmt: skip

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        owner = cleaned.get("owner") if "owner" in self.fields else None
        if self.instance.pk is None:
            try:
                owner = services.project_owner_for(self.user, owner)
            except ApplicationError as error:
                self.add_error(error.field if error.field in self.fields else None, error.message)
                return cleaned
        elif owner is None:
            owner = self.instance.owner
        self.run_check(
            services.project_check,
            owner=owner,
            sponsor=cleaned.get("sponsor"),
            start_date=cleaned.get("start_date"),
            due_date=cleaned.get("due_date"),
        )
        return cleaned


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectForm
    list_display = ["code", "title", "status", "owner", "due_date", "overdue", "progress_bar"]
    list_display_links = ["code", "title"]
    list_filter = ["status", "priority", OverdueFilter, MineFilter,
                   ("departments", admin.RelatedOnlyFieldListFilter)]  # fmt: skip
    search_fields = ["code", "title"]
    autocomplete_fields = ["owner", "sponsor", "departments"]
    inlines = [KPILinkInline, UpdateInline, MilestoneInline]
    change_form_template = "admin/bpi/project/change_form.html"

    def get_queryset(self, request):
        return selectors.project_list()

    def get_fields(self, request, obj=None):
        fields = ["code", "title", "problem", "root_cause", "owner", "sponsor", "departments",
                  "priority", "start_date", "due_date", "status", "completed_on",
                  "progress_bar"]  # fmt: skip
        if obj is None:
            fields = [f for f in fields if f not in ("status", "completed_on", "progress_bar")]
            if not request.user.is_superuser:
                fields.remove("owner")  # a non-administrator's project is their own
        return fields

    def get_readonly_fields(self, request, obj=None):
        readonly = ["status", "completed_on", "progress_bar"]
        if obj is not None and not request.user.is_superuser:
            readonly.append("owner")  # handed over by an administrator only
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class FormForUser(form):
            def __init__(inner, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        return FormForUser

    @admin.display(description=_("overdue"))
    def overdue(self, obj):
        # A warning, not a yes/no icon: the admin's green tick would read as "all good".
        if not obj.is_overdue:
            return ""
        return format_html(
            '<strong class="cx-overdue" style="color: var(--error-fg, #ba2121)">{}</strong>',
            gettext("Overdue"),
        )

    @admin.display(description=_("progress"), ordering="progress")
    def progress_bar(self, obj):
        percent = getattr(obj, "progress", None)
        if percent is None:
            return "—"
        return format_html(
            '<span class="cx-progress" title="{}%" style="display:inline-block;width:80px;'
            'height:8px;background:#e3e3e3;border-radius:4px;vertical-align:middle">'
            '<span style="display:block;width:{}%;height:8px;background:#417690;'
            'border-radius:4px"></span></span> {}%',
            percent,
            percent,
            percent,
        )

    # -- object rules ------------------------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or services.can_delete(request.user, obj))

    def get_actions(self, request):
        # Deleting in bulk would skip the per-project rule.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        services.project_delete(user=request.user, project=obj)

    # -- saving through the services ---------------------------------------------------------

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in (*services.PROJECT_FIELDS, "owner")
            if name in form.cleaned_data
        }
        departments = list(form.cleaned_data.get("departments", []))
        if change:
            saved = services.project_update(
                user=request.user, project=obj, data=data, departments=departments
            )
        else:
            saved = services.project_create(user=request.user, departments=departments, **data)
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        # Departments were set by the service; each inline row goes through its own service.
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(self, request, form, formset, change):
        project, user = form.instance, request.user
        for row in formset.forms:
            data = getattr(row, "cleaned_data", None)
            if not data:
                continue
            existing = row.instance.pk is not None
            if formset.can_delete and formset._should_delete_form(row):
                if existing:
                    self._delete_child(user, row.instance)
                continue
            if existing and not row.has_changed():
                continue
            if formset.model is Update:
                if not existing:
                    services.update_add(
                        user=user, project=project, progress_percent=data["progress_percent"],
                        note=data.get("note", ""), date=data.get("date"),
                    )  # fmt: skip
                continue
            names = ("kpi", "department", "baseline", "goal")
            if formset.model is Milestone:
                names = ("title", "due_date", "done_on")
            values = {name: data.get(name) for name in names}
            # The stored row, not the form's (which already carries the new values).
            instance = (
                formset.model.objects.get(pk=row.instance.pk)
                if existing
                else formset.model(project=project)
            )
            instance.project = project
            if formset.model is KPILink:
                services.kpi_link_save(user=user, link=instance, data=values)
            else:
                services.milestone_save(user=user, milestone=instance, data=values)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    @staticmethod
    def _delete_child(user, instance) -> None:
        if isinstance(instance, KPILink):
            services.kpi_link_delete(user=user, link=instance)
        elif isinstance(instance, Milestone):
            services.milestone_delete(user=user, milestone=instance)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The forms run the services' checks; a refusal found only while writing (a race, a
        # closed project) rolls the whole save back and is shown as a message, never a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            self.message_user(request, str(error.message), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # -- status moves ------------------------------------------------------------------------

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/transition/",
                self.admin_site.admin_view(self.transition_view),
                name="bpi_project_transition",
            )
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        project = self.get_object(request, unquote(object_id))
        extra = {}
        if project is not None:
            extra["transitions"] = [
                (to, RESUME_LABEL if project.status == Status.ON_HOLD and to == Status.IN_PROGRESS
                 else TRANSITION_LABELS[to])
                for to in services.user_transitions(request.user, project)
            ]  # fmt: skip
            extra["transition_url"] = reverse(
                "admin:bpi_project_transition", args=[project.pk], current_app=self.admin_site.name
            )
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def transition_view(self, request, object_id):
        """POST ``to``: move the project through the service; refusals become messages."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        project = self.get_object(request, unquote(object_id))
        if project is None:
            raise Http404
        if not self.has_view_permission(request, project):
            raise PermissionDenied
        to = request.POST.get("to", "")
        try:
            project = services.project_transition(user=request.user, project=project, to=to)
        except ApplicationError as error:
            self.message_user(request, str(error.message), level=messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("%(code)s is now %(status)s.")
                % {"code": project.code, "status": project.get_status_display()},
                level=messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse("admin:bpi_project_change", args=[project.pk], current_app=self.admin_site.name)
        )


def overdue_projects_panel(request):
    """The dashboard's list of projects past their due date (the first ten)."""
    if not request.user.has_perm("bpi.view_project"):
        return None
    overdue = selectors.projects_overdue().prefetch_related(None)
    return {
        "template": "admin/bpi/overdue_panel.html",
        "projects": list(overdue[:10]),
        "count": overdue.count(),
    }


admin.site.register_panel(overdue_projects_panel)
