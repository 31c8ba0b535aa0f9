import sys

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.bonuses import services
from apps.bonuses.models import Plan, Run
from cxoffice.commands import BaseCommand
from cxoffice.errors import ApplicationError


class Command(BaseCommand):
    help = gettext_lazy(
        "Calculate the bonus run of a plan for a period (created when missing), with a progress "
        "bar: run_bonus PLAN PERIOD [--user USERNAME]"
    )

    def add_arguments(self, parser):
        parser.add_argument("plan", help=gettext_lazy("plan code"))
        parser.add_argument("period", help=gettext_lazy("period key, e.g. 2026-Q4"))
        parser.add_argument(
            "--user",
            default=None,
            help=gettext_lazy(
                "who calculates (four eyes: someone else approves); default: the first superuser"
            ),
        )

    def handle(self, *args, **options):
        plan = Plan.objects.filter(code=options["plan"]).first()
        if plan is None:
            raise CommandError(_("Unknown plan “%(code)s”.") % {"code": options["plan"]})
        users = get_user_model().objects
        user = (
            users.filter(username=options["user"]).first()
            if options["user"]
            else users.filter(is_superuser=True).order_by("pk").first()
        )
        if user is None:
            raise CommandError(_("No such user to calculate as."))
        try:
            run = Run.objects.filter(
                plan=plan, period=options["period"], is_simulation=False, corrects__isnull=True
            ).first()
            run = run or services.run_create(plan=plan, period=options["period"])
            run = services.run_calculate(run=run, user=user, progress=self._bar)
        except ApplicationError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                _("Run %(plan)s %(period)s: %(lines)s lines, total %(total)s %(currency)s.")
                % {
                    "plan": plan.code,
                    "period": run.period,
                    "lines": run.line_count,
                    "total": run.total_amount,
                    "currency": plan.currency,
                }
            )
        )
        for issue in run.blocking_issue_texts():
            self.stdout.write(self.style.WARNING(_("Blocking: %(issue)s") % {"issue": issue}))

    def _bar(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "." * (width - filled)
        end = "" if sys.stdout.isatty() else "\n"
        self.stdout.write(f"\r[{bar}] {done}/{total}", ending=end)
