from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceDaysConfig(AppConfig):
    name = "apps.service_days"
    label = "service_days"
    verbose_name = _("Days of service")
