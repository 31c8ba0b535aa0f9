"""The admin site: branded cxoffice, and the home of the product.

Apps add their own pages (``register_view``) and dashboard panels (``register_panel``) from
their ``admin.py``, so this plumbing knows no app.
"""

from collections.abc import Callable

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import path
from django.utils.translation import gettext_lazy as _


class CxAdminSite(admin.AdminSite):
    site_header = "cxoffice"  # the product's name, not translated
    site_title = "cxoffice"
    index_title = _("CX back office")
    index_template = "admin/cx_index.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._views: list[tuple[str, Callable, str]] = []
        self._panels: list[Callable] = []

    def register_view(self, route: str, view: Callable, name: str) -> None:
        """An admin page at ``/admin/<route>`` for signed-in staff (``admin:<name>``)."""
        self._views.append((route, view, name))

    def register_panel(self, panel: Callable) -> None:
        """``panel(request)`` → ``{"template": ..., **context}`` or None, shown on the index."""
        self._panels.append(panel)

    def get_urls(self):
        own = [path(route, self.admin_view(view), name=name) for route, view, name in self._views]
        return own + super().get_urls()

    def index(self, request, extra_context=None):
        panels = [p for p in (panel(request) for panel in self._panels) if p]
        return super().index(request, {**(extra_context or {}), "panels": panels})


class CxAdminConfig(AdminConfig):
    default_site = "cxoffice.admin_site.CxAdminSite"
