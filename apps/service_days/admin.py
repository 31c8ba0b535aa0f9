"""Executives log their days of service here; HR reads them and keeps the quotas.

An executive's new day is theirs (the form does not offer the executive: the service takes the
signed-in user's employee); another executive's day is read-only for them. Every write goes
through the services, so the rules are the API's.
"""

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape, format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cxoffice.admin_tools import ServiceCheckedForm, adopt
from cxoffice.errors import ApplicationError

from . import selectors, services
from .admin_views import behind_quota_panel, compliance_view
from .models import Finding, FollowUp, Quota, ServiceDay

admin.site.register_view(
    "service-days/compliance/",
    partial(compliance_view, site=admin.site),
    "service_days_compliance",
)
admin.site.register_panel(behind_quota_panel)


def project_link(project, site_name: str = "admin"):
    """The project's code, linked to its admin page when the BPI admin has one."""
    if project is None:
        return "–"
    try:
        url = reverse("admin:bpi_project_change", args=[project.pk], current_app=site_name)
    except NoReverseMatch:
        return project.code
    return format_html('<a href="{}">{}</a>', url, project.code)


def feedback_link(item, site_name: str = "admin"):
    """The feedback item's number, linked to its admin page."""
    if item is None:
        return "–"
    label = gettext("feedback item #%(id)s") % {"id": item.pk}
    try:
        url = reverse("admin:feedback_feedback_change", args=[item.pk], current_app=site_name)
    except NoReverseMatch:
        return label
    return format_html('<a href="{}">{}</a>', url, label)


def follow_up_link(finding: Finding, site_name: str = "admin"):
    """What the finding was raised as: its BPI project or its feedback item, linked."""
    if finding.follow_up_type == FollowUp.FEEDBACK:
        return feedback_link(finding.feedback, site_name)
    return project_link(finding.bpi_project, site_name)


def follow_up_message(finding: Finding, site_name: str = "admin"):
    """One translatable sentence with the link in it (the link is escaped HTML)."""
    if finding.follow_up_type == FollowUp.FEEDBACK:
        sentence = gettext("Finding “%(finding)s” is now %(link)s.")
        link = feedback_link(finding.feedback, site_name)
    else:
        sentence = gettext("Finding “%(finding)s” is now BPI project %(link)s.")
        link = project_link(finding.bpi_project, site_name)
    return format_html(
        escape(sentence)
        .replace("{", "{{")
        .replace("}", "}}")
        .replace("%(finding)s", "{finding}")
        .replace("%(link)s", "{link}"),
        finding=str(finding)[:60],
        link=link,
    )


class RefusalsAsMessages:
    """A refusal a form could not foresee (e.g. a race) is an error message on the page it was
    made from, never a 500; the admin's transaction has been rolled back by then."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            self.message_user(request, str(error.message), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as error:
            self.message_user(request, str(error.message), level=messages.ERROR)
            return HttpResponseRedirect(
                reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                    args=[object_id],
                    current_app=self.admin_site.name,
                )
            )


# --- days of service ---------------------------------------------------------------------------


class ServiceDayForm(ServiceCheckedForm):
    user = None  # the signed-in user, set on the class ServiceDayAdmin.get_form builds

    class Meta:
        model = ServiceDay
        fields = ["executive", *services.DAY_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "executive" in self.fields:  # offered to administrators on a new day only
            self.fields["executive"].required = False
            self.fields["executive"].help_text = _("Empty: yourself.")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        executive = self.instance.executive if self.instance.pk else None
        if executive is None:
            try:
                executive = services.executive_for(self.user, cleaned.get("executive"))
            except ApplicationError as error:
                field = error.field if error.field in self.fields else None
                self.add_error(field, error.message)
                return cleaned
        self.run_check(
            services.check_day_free,
            executive=executive,
            date=cleaned["date"],
            exclude=self.instance.pk,
        )
        return cleaned


class FindingFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            if form.instance.pk and form.instance.follow_up_type != FollowUp.NONE:
                raise forms.ValidationError(
                    gettext(
                        "Finding “%(finding)s” was followed up and is kept as the source of its "
                        "follow-up."
                    )
                    % {"finding": form.instance},
                    code="followed_up",
                )


class FindingInline(admin.TabularInline):
    model = Finding
    formset = FindingFormSet
    fields = ["description", "category", "severity", "department", "kpi", "follow_up_type",
              "follow_up_link", "follow_up_button"]  # fmt: skip
    readonly_fields = ["follow_up_type", "follow_up_link", "follow_up_button"]
    extra = 1
    can_edit_day = False  # set per request (the admin builds its inlines afresh for each)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("bpi_project", "feedback")

    def get_formset(self, request, obj=None, **kwargs):
        self.can_edit_day = (
            obj is not None
            and services.can_edit(request.user, obj)
            and request.user.has_perm("service_days.change_finding")
        )
        return super().get_formset(request, obj, **kwargs)

    def _editable(self, request, obj) -> bool:
        return obj is None or services.can_edit(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._editable(request, obj)

    @admin.display(description=_("raised as"))
    def follow_up_link(self, finding):
        return follow_up_link(finding, self.admin_site.name) if finding.pk else "–"

    @admin.display(description=_("follow up"))
    def follow_up_button(self, finding):
        if not (finding.pk and self.can_edit_day and finding.follow_up_type == FollowUp.NONE):
            return ""
        button = '<button type="submit" class="button" name="{}" value="{}" title="{}">{}</button>'
        return format_html(
            button + " " + button,
            "_follow_up", finding.pk,
            gettext("Saves this page, then proposes a BPI project from the finding."),
            gettext("Turn into BPI project"),
            "_follow_up_feedback", finding.pk,
            gettext("Saves this page, then adds the finding to the voice of the customer."),
            gettext("Turn into feedback item"),
        )  # fmt: skip


@admin.register(ServiceDay)
class ServiceDayAdmin(RefusalsAsMessages, admin.ModelAdmin):
    form = ServiceDayForm
    list_display = ["date", "executive", "department", "role_played", "hours",
                    "customers_served", "findings_count"]  # fmt: skip
    list_filter = ["department", ("executive", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["executive", "department"]
    date_hierarchy = "date"
    search_fields = ["executive__full_name", "executive__employee_number", "role_played",
                     "summary"]  # fmt: skip
    inlines = [FindingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(findings_count=Count("findings"))

    @admin.display(description=_("findings"), ordering="findings_count")
    def findings_count(self, day):
        return day.findings_count

    def get_fields(self, request, obj=None):
        if obj is None and not request.user.is_superuser:
            return list(services.DAY_FIELDS)  # the executive is the signed-in user
        return ["executive", *services.DAY_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return ["executive"] if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # a class built for this request
        return form

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or services.can_edit(request.user, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or services.can_edit(request.user, obj)
        )

    def get_actions(self, request):
        # Deleting in bulk would skip the per-day rules (own days, followed-up findings).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.DAY_FIELDS}
        if change:
            saved = services.service_day_update(user=request.user, day=obj, data=data)
        else:
            saved = services.service_day_create(
                user=request.user, executive=form.cleaned_data.get("executive"), **data
            )
        adopt(obj, saved)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Finding:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # fills new/changed/deleted_objects for the change message
        for finding in formset.deleted_objects:
            services.finding_delete(user=request.user, finding=finding)
        for finding in [*formset.new_objects, *(obj for obj, fields in formset.changed_objects)]:
            finding.service_day = form.instance
            data = {name: getattr(finding, name) for name in services.FINDING_FIELDS}
            saved = services.finding_save(user=request.user, finding=finding, data=data)
            adopt(finding, saved)
        return None

    def delete_model(self, request, obj):
        services.service_day_delete(user=request.user, day=obj)

    def response_change(self, request, obj):
        to = {"_follow_up": FollowUp.BPI_PROJECT, "_follow_up_feedback": FollowUp.FEEDBACK}
        chosen = next((name for name in to if name in request.POST), None)
        if chosen is None:
            return super().response_change(request, obj)
        finding = obj.findings.filter(pk=request.POST[chosen]).first()
        if finding is None:
            self.message_user(request, gettext("That finding is not on this day."), messages.ERROR)
        else:
            try:
                finding = services.finding_follow_up(
                    user=request.user, finding=finding, to=to[chosen]
                )
            except ApplicationError as error:
                self.message_user(request, str(error.message), level=messages.ERROR)
            else:
                self.message_user(request, follow_up_message(finding, self.admin_site.name))
        return HttpResponseRedirect(request.path)


# --- findings across days ----------------------------------------------------------------------


@admin.register(Finding)
class FindingAdmin(RefusalsAsMessages, admin.ModelAdmin):
    """Every finding of every day, to triage and follow up; findings are written on their day."""

    list_display = ["description_short", "service_day", "severity", "category", "department",
                    "kpi", "follow_up_type", "follow_up_link"]  # fmt: skip
    list_filter = ["severity", "follow_up_type", "department"]
    search_fields = ["description", "category__code", "category__name",
                     "service_day__executive__full_name"]  # fmt: skip
    fields = ["service_day", "description", "category", "severity", "department", "kpi",
              "follow_up_type", "follow_up_link"]  # fmt: skip
    readonly_fields = fields
    actions = ["follow_up", "follow_up_feedback"]

    def get_queryset(self, request):
        return selectors.finding_list().select_related("service_day__department", "feedback")

    @admin.display(description=_("description"), ordering="description")
    def description_short(self, finding):
        return str(finding)

    @admin.display(description=_("raised as"))
    def follow_up_link(self, finding):
        return follow_up_link(finding, self.admin_site.name)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Also asked when a day is deleted with its findings: the day's executive may.
        return super().has_delete_permission(request, obj) and (
            obj is None or services.can_edit(request.user, obj.service_day)
        )

    def delete_model(self, request, obj):
        services.finding_delete(user=request.user, finding=obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one by one, through the service's rules
        return actions

    def has_follow_up_permission(self, request):
        return request.user.has_perm("service_days.change_finding")

    @admin.action(description=_("Turn into BPI project"), permissions=["follow_up"])
    def follow_up(self, request, queryset):
        self._follow_up(request, queryset, FollowUp.BPI_PROJECT)

    @admin.action(description=_("Turn into feedback item"), permissions=["follow_up"])
    def follow_up_feedback(self, request, queryset):
        self._follow_up(request, queryset, FollowUp.FEEDBACK)

    def _follow_up(self, request, queryset, to: str) -> None:
        for finding in queryset:
            try:
                finding = services.finding_follow_up(user=request.user, finding=finding, to=to)
            except ApplicationError as error:
                self.message_user(
                    request,
                    gettext("“%(finding)s”: %(error)s")
                    % {"finding": finding, "error": error.message},
                    level=messages.ERROR,
                )
            else:
                self.message_user(request, follow_up_message(finding, self.admin_site.name))


# --- quotas ------------------------------------------------------------------------------------


class QuotaForm(ServiceCheckedForm):
    class Meta:
        model = Quota
        fields = ["executive", "days_per_quarter"]


@admin.register(Quota)
class QuotaAdmin(RefusalsAsMessages, admin.ModelAdmin):
    """Days of service per quarter: the row without an executive is the company default."""

    form = QuotaForm
    list_display = ["who", "days_per_quarter"]
    list_select_related = ["executive"]

    @admin.display(description=_("executive"), ordering="executive__full_name")
    def who(self, quota):
        return quota.executive or gettext("Company default")

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ("executive", "days_per_quarter")}
        adopt(obj, services.quota_save(quota=obj, data=data))
