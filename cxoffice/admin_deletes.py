"""Deleting in the admin through a service: the object's page and the changelist's bulk action.

A ModelAdmin with :class:`DeletesThroughService` names its service in ``delete_object``; the
delete page, ``delete_model``, ``delete_queryset`` and the "Delete selected" action all go
through it. A refusal is an error message, never a 500, and writes nothing: the page's
transaction (with its log entry) is rolled back, and a bulk delete is all or nothing — one
refused object undoes the others, and every refused object is named.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.actions import delete_selected
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import ngettext

from cxoffice.errors import ApplicationError


class DeletionsRefused(ApplicationError):
    """Some objects of a bulk delete were refused; ``refusals`` pairs each with its error."""

    def __init__(self, refusals: list[tuple[object, ApplicationError]]) -> None:
        first = refusals[0][1]
        super().__init__(first.message, field=first.field, code=first.code)
        self.refusals = refusals


def delete_selected_through_service(modeladmin, request, queryset):
    """Django's "Delete selected" (its confirmation page, its log entries and message), with the
    deletions made by ``delete_queryset`` and refusals shown as messages."""
    if not request.POST.get("post"):
        return delete_selected(modeladmin, request, queryset)  # the confirmation page
    try:
        with transaction.atomic():
            return delete_selected(modeladmin, request, queryset)
    except DeletionsRefused as refused:
        modeladmin.message_user(
            request,
            ngettext(
                "Nothing was deleted: %(count)s selected object may not be deleted.",
                "Nothing was deleted: %(count)s selected objects may not be deleted.",
                len(refused.refusals),
            )
            % {"count": len(refused.refusals)},
            level=messages.ERROR,
        )
        for obj, error in refused.refusals:
            modeladmin.message_user(request, f"{obj}: {error.message}", level=messages.ERROR)
        return None


class DeletesThroughService:
    """Mixin for a ModelAdmin whose deletions have a rule: ``delete_object`` calls the service."""

    def delete_object(self, request, obj) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        self.delete_object(request, obj)

    def delete_queryset(self, request, queryset):
        refusals: list[tuple[object, ApplicationError]] = []
        with transaction.atomic():
            for obj in queryset:
                try:
                    with transaction.atomic():
                        self.delete_object(request, obj)
                except ApplicationError as error:
                    refusals.append((obj, error))
            if refusals:
                raise DeletionsRefused(refusals)  # undoes the deletions made so far

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as error:  # raised out of the view's transaction: rolled back
            self.message_user(request, str(error.message), level=messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[object_id],
                    current_app=self.admin_site.name,
                )
            )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_selected_through_service, name, description)
        return actions
