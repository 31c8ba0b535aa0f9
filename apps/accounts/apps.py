from axes import apps as axes_apps
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Signing in: the API token's life, the lockout after failed logins and its audit log."""

    default = True  # this module holds two configs; AxesConfig is named in INSTALLED_APPS
    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Sign-in")

    def ready(self):
        from apps.accounts import audit  # noqa: F401 - connects the login log receivers


class AxesConfig(axes_apps.AppConfig):
    """django-axes under a name the admin shows in the user's language."""

    default = False
    verbose_name = _("Login attempts")
