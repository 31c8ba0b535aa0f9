import os
import sys

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.records import services
from apps.records.models import LoadDoor, RecordKind, RecordMapping
from cxoffice.commands import BaseCommand
from cxoffice.errors import ApplicationError

ERRORS_PRINTED = 20


class Command(BaseCommand):
    help = gettext_lazy(
        "Load a CSV or XLSX file of records, all or nothing, with a progress bar and a report: "
        "load_records {surveys|tickets|shipments} FILE [--mapping NAME] [--skip-bad-rows]"
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=RecordKind.values)
        parser.add_argument("file", help=gettext_lazy("path of the CSV or XLSX file"))
        parser.add_argument(
            "--mapping", default=None, help=gettext_lazy("name of a saved column mapping")
        )
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help=gettext_lazy(
                "load the good rows and report the bad ones (default: refuse the file)"
            ),
        )

    def handle(self, *args, **options):
        mapping = None
        if options["mapping"]:
            mapping = RecordMapping.objects.filter(name=options["mapping"]).first()
            if mapping is None:
                raise CommandError(
                    _("Unknown column mapping “%(name)s”.") % {"name": options["mapping"]}
                )
        path = os.path.abspath(options["file"])
        if not os.path.isfile(path):
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        job = services.load_job_start(
            kind=options["kind"],
            door=LoadDoor.COMMAND,
            file_name=os.path.basename(path),
            file_path=path,
            mapping=mapping,
            skip_bad_rows=options["skip_bad_rows"],
        )
        try:
            report = services.load_job_run(job=job, progress=self._bar)
        except ApplicationError as error:
            self.stdout.write("")
            job.refresh_from_db()
            self._errors(job.report.get("errors", []))
            raise CommandError(
                _("Load #%(job)s refused, nothing was written: %(message)s")
                % {"job": job.pk, "message": error.message}
            ) from error
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Load #%(job)s: read %(read)s, created %(created)s, updated %(updated)s, "
                    "skipped %(skipped)s, rejected %(rejected)s."
                )
                % {"job": job.pk, **report.as_dict()}
            )
        )
        self._errors(report.errors)

    def _errors(self, errors: list[dict]) -> None:
        for error in errors[:ERRORS_PRINTED]:
            self.stdout.write(
                self.style.WARNING(
                    _("Row %(row)s, column %(column)s: %(detail)s")
                    % {
                        "row": error["row"] if error["row"] is not None else _("(header)"),
                        "column": error["column"] or "-",
                        "detail": error["detail"],
                    }
                )
            )
        if len(errors) > ERRORS_PRINTED:
            self.stdout.write(
                _("… and %(more)s more (see the load's report in the admin).")
                % {"more": len(errors) - ERRORS_PRINTED}
            )

    def _bar(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "." * (width - filled)
        end = "" if sys.stdout.isatty() else "\n"
        self.stdout.write(f"\r[{bar}] {100 * done // max(total, 1)}%", ending=end)
