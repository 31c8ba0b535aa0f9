"""django-axes' admin pages, read-only: the access and failure logs are an audit trail.

An administrator lifts a lock early by deleting the username's row under *Access attempts*.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin


class ReadOnlyAttemptAdmin(AccessAttemptAdmin):
    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyLogAdmin(AccessLogAdmin):
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyFailureLogAdmin(AccessFailureLogAdmin):
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model, model_admin in (
    (AccessAttempt, ReadOnlyAttemptAdmin),
    (AccessLog, ReadOnlyLogAdmin),
    (AccessFailureLog, ReadOnlyFailureLogAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
