from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BpiConfig(AppConfig):
    name = "apps.bpi"
    label = "bpi"
    verbose_name = _("BPI projects")
