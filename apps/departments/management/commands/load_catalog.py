from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cxoffice.commands import BaseCommand


def each_app_module(name: str):
    """``apps.<app>.<name>`` of every installed app that has one, in INSTALLED_APPS order (which
    is the order of their dependencies)."""
    for config in apps.get_app_configs():
        if config.name.startswith("apps.") and find_spec(f"{config.name}.{name}"):
            yield import_module(f"{config.name}.{name}")


class Command(BaseCommand):
    help = gettext_lazy(
        "Load the standard catalog of SPEC §4: departments, KPIs with the late-delivery tree, "
        "company targets and industry benchmarks. Idempotent: only what is missing is created."
    )

    def handle(self, *args, **options):
        for module in each_app_module("catalog"):
            summary = module.load()
            details = ", ".join(f"{key}={value}" for key, value in summary.items())
            self.stdout.write(
                _("%(app)s catalog: %(details)s")
                % {"app": module.__name__.split(".")[1], "details": details}
            )
