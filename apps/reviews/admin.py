"""The weekly business review in the admin: the review page (live or as sent), its dashboard
panel, the stored reviews (build, rebuild, send — through the services) and the actions."""

from __future__ import annotations

from functools import partial

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cxoffice.admin_tools import ServiceCheckedForm, adopt
from cxoffice.errors import ApplicationError

from . import selectors, services
from .admin_views import weekly_review_panel, weekly_review_view
from .models import ActionStatus, ReviewAction, WeeklyReview

admin.site.register_view(
    "weekly-review/", partial(weekly_review_view, site=admin.site), "weekly_review"
)
admin.site.register_panel(weekly_review_panel)


def _review_url(week: str, mode: str = "") -> str:
    url = f"{reverse('admin:weekly_review')}?week={week}"
    return f"{url}&mode={mode}" if mode else url


class BuildReviewForm(forms.ModelForm):
    """Adding a stored review = building the review of a week now."""

    class Meta:
        model = WeeklyReview
        fields = ["week"]
        help_texts = {"week": _("The ISO week to build, e.g. 2026-W47 (last week by default).")}

    def clean_week(self):
        try:
            return selectors.week_from_key(self.cleaned_data["week"]).key
        except ApplicationError as error:
            raise forms.ValidationError(error.message) from error


@admin.register(WeeklyReview)
class WeeklyReviewAdmin(admin.ModelAdmin):
    list_display = ["week", "built_at", "built_by", "sent_at", "recipient_count", "open_links"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["week"]
    readonly_fields = ["week", "built_at", "built_by", "sent_at", "recipients", "open_links"]
    actions = ["rebuild", "force_rebuild", "send"]

    def get_queryset(self, request):
        return selectors.review_list()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = BuildReviewForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["week"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_changeform_initial_data(self, request):
        return {"week": selectors.last_week().key}

    def has_change_permission(self, request, obj=None):
        # Nothing of a stored review is edited by hand; the actions rebuild and send it.
        return super().has_change_permission(request, obj) and obj is None

    def save_model(self, request, obj, form, change):
        week = selectors.week_from_key(form.cleaned_data["week"])
        try:
            saved = services.review_snapshot(week=week, user=request.user)
        except ApplicationError as error:
            # The form is already valid here: report the refusal and keep what was stored.
            self.message_user(request, error.message, messages.ERROR)
            saved = selectors.review_get(week)
            if saved is None:
                raise
        adopt(obj, saved)

    @admin.display(description=_("recipients"))
    def recipient_count(self, obj):
        return len(obj.recipients or [])

    @admin.display(description=_("open"))
    def open_links(self, obj):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            _review_url(obj.week, "as_sent"),
            gettext("as sent") if obj.sent_at else gettext("as stored"),
            _review_url(obj.week, "live"),
            gettext("live"),
        )

    def _rebuild(self, request, queryset, *, force: bool) -> None:
        done = 0
        for review in queryset:
            try:
                services.review_snapshot(
                    week=selectors.week_from_key(review.week), user=request.user, force=force
                )
                done += 1
            except ApplicationError as error:
                self.message_user(request, f"{review.week}: {error.message}", messages.ERROR)
        if done:
            self.message_user(
                request,
                gettext("%(count)s reviews rebuilt from today's data.") % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Rebuild from today's data (not if already sent)"),
                  permissions=["add"])  # fmt: skip
    def rebuild(self, request, queryset):
        self._rebuild(request, queryset, force=False)

    @admin.action(description=_("Rebuild even if already sent (administrators)"),
                  permissions=["add"])  # fmt: skip
    def force_rebuild(self, request, queryset):
        self._rebuild(request, queryset, force=True)

    @admin.action(description=_("E-mail to the review's recipients"), permissions=["add"])
    def send(self, request, queryset):
        sent = 0
        for review in queryset:
            try:
                services.review_send(review=review)
                sent += 1
            except ApplicationError as error:
                self.message_user(request, f"{review.week}: {error.message}", messages.ERROR)
                break
        if sent:
            self.message_user(
                request,
                gettext("%(count)s reviews sent.") % {"count": sent},
                messages.SUCCESS,
            )


class ActionForm(ServiceCheckedForm):
    class Meta:
        model = ReviewAction
        fields = list(services.ACTION_FIELDS)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("week") and cleaned.get("due_date"):
            self.run_check(
                services.action_check,
                week=cleaned["week"],
                due_date=cleaned["due_date"],
                owner=cleaned.get("owner"),
            )
        return cleaned


@admin.register(ReviewAction)
class ReviewActionAdmin(admin.ModelAdmin):
    form = ActionForm
    list_display = ["objective_excerpt", "owner", "due_date", "status", "week", "overdue",
                    "kpi", "bpi_project", "feedback"]  # fmt: skip
    list_filter = ["status", "week", ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["objective", "owner__full_name", "owner__employee_number", "week"]
    autocomplete_fields = ["owner", "kpi"]
    raw_id_fields = ["bpi_project", "feedback"]
    readonly_fields = ["done_on", "created_by", "created_at"]
    fields = ["week", "objective", "owner", "due_date", "status", "done_on", "kpi",
              "bpi_project", "feedback", "created_by", "created_at"]  # fmt: skip
    actions = ["mark_done"]

    def get_queryset(self, request):
        return selectors.action_list()

    def get_changeform_initial_data(self, request):
        return {"week": selectors.last_week().key, **super().get_changeform_initial_data(request)}

    @admin.display(description=_("objective"))
    def objective_excerpt(self, obj):
        return obj.objective[:80] + ("…" if len(obj.objective) > 80 else "")

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj):
        return obj.is_overdue

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in services.ACTION_FIELDS
                if name in form.cleaned_data}  # fmt: skip
        if change:
            saved = services.action_update(action=obj, data=data)
        else:
            saved = services.action_create(user=request.user, **data)
        adopt(obj, saved)

    def delete_model(self, request, obj):
        services.action_delete(action=obj)

    @admin.action(description=_("Mark as done"), permissions=["change"])
    def mark_done(self, request, queryset):
        count = 0
        for action in queryset.filter(status=ActionStatus.OPEN):
            services.action_update(action=action, data={"status": ActionStatus.DONE})
            count += 1
        self.message_user(
            request, gettext("%(count)s actions done.") % {"count": count}, messages.SUCCESS
        )
