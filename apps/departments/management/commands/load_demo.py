from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.departments.demo import DEMO_PASSWORD, USERS, load_demo


class Command(BaseCommand):
    help = gettext_lazy("Load the demo data set (idempotent: running it again changes nothing).")

    def handle(self, *args, **options):
        summary = load_demo()
        self.stdout.write(
            _("Demo data: %(departments)d departments, %(employees_created)d new employees.")
            % summary
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
