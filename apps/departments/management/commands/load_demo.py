from django.core.management import call_command
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.departments.demo import DEMO_PASSWORD, USERS
from cxoffice.commands import BaseCommand

from .load_catalog import each_app_module


class Command(BaseCommand):
    help = gettext_lazy(
        "Load the catalog and the demo data set: people, a year of results, targets "
        "(idempotent: running it again changes nothing)."
    )

    def handle(self, *args, **options):
        call_command("load_catalog", stdout=self.stdout)
        for module in each_app_module("demo"):
            summary = module.load()
            details = ", ".join(f"{key}={value}" for key, value in summary.items())
            self.stdout.write(
                _("%(app)s demo: %(details)s")
                % {"app": module.__name__.split(".")[1], "details": details}
            )
        others = ", ".join(name for name in USERS if name != "admin")
        self.stdout.write(self.style.SUCCESS(_("cxoffice demo: http://127.0.0.1:8000/admin/")))
        self.stdout.write(
            self.style.SUCCESS(
                _("  log in as: admin / %(password)s   (administrator)")
                % {"password": DEMO_PASSWORD}
            )
        )
        self.stdout.write(_("  one user per role, same password: %(users)s") % {"users": others})
