"""The base of cxoffice's management commands: their help texts are lazy translations (shown in
the operator's language), which argparse cannot format until they are made text."""

from django.core.management.base import BaseCommand as DjangoBaseCommand


class BaseCommand(DjangoBaseCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        self.help = str(self.help) if self.help else self.help
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        for action in parser._actions:  # the arguments' help, given lazily in add_arguments
            if action.help is not None:
                action.help = str(action.help)
        return parser
