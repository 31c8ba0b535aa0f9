from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.departments.models import Department
from apps.records import services
from cxoffice.commands import BaseCommand
from cxoffice.errors import ApplicationError


class Command(BaseCommand):
    help = gettext_lazy(
        "Compute the KPI results of a period from the loaded records (source “computed”), for "
        "the company and every department with records, or one department; running it again "
        "replaces them: compute_kpis PERIOD [--department CODE] [--user USERNAME]"
    )

    def add_arguments(self, parser):
        parser.add_argument("period", help=gettext_lazy("period key, e.g. 2026-11 or 2026-W47"))
        parser.add_argument("--department", default=None, help=gettext_lazy("department code"))
        parser.add_argument(
            "--user",
            default=None,
            help=gettext_lazy("who writes the results (default: the system)"),
        )

    def handle(self, *args, **options):
        department = None
        if options["department"]:
            department = Department.objects.filter(code=options["department"]).first()
            if department is None:
                raise CommandError(
                    _("Unknown department “%(code)s”.") % {"code": options["department"]}
                )
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(_("No such user: %(name)s") % {"name": options["user"]})
        try:
            summary = services.kpi_results_compute(
                period=options["period"], department=department, user=user
            )
        except ApplicationError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(period)s: %(results)s results (created %(created)s, updated %(updated)s, "
                    "unchanged %(unchanged)s, removed %(removed)s; kept %(kept)s entered by "
                    "people)."
                )
                % summary
            )
        )
        if not summary["results"] and not summary["kept"]:
            self.stdout.write(
                _(
                    "No records fall in this period%(where)s (a department's results count "
                    "only its own records; its sub-departments' are rolled up when read)."
                )
                % {"where": f" ({department.code})" if department else ""}
            )
